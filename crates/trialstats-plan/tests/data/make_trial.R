# A small cluster trial written by R, for the plan runner's tests (R 4.2.2):
#   Rscript make_trial.R   (writes trial_r.csv and reference.txt)
set.seed(20261206)
towns <- c("Ashby", "Bramley", "Carlow", "Dunmore", "Elgin", "Fenwick", "Garvagh", "Hexham",
           "Irvine", "Jarrow", "Keswick", "Lanark", "Moffat", "Nairn", "Oban", "Penrith",
           "Quorn", "Rothes", "Selby", "Thirsk")
arm_of <- rep(c("usual care", "intervention"), 10)
rows <- list()
for (g in seq_along(towns)) {
  n <- 8 + (g %% 5)
  u <- rnorm(1, 0, 0.4)
  age <- round(rnorm(n, 60, 9))
  female <- rbinom(n, 1, 0.5)
  smoker <- ifelse(runif(n) < 0.2, "yes", "no")
  duration <- round(rexp(n, 1 / 8), 1)
  hba1c_0 <- round(7.2 + u + rnorm(n, 0, 1), 1)
  treat <- arm_of[g] == "intervention"
  hba1c_12 <- round(hba1c_0 - 0.25 * treat + 0.6 * u + rnorm(n, 0, 0.7), 1)
  hba1c_12[runif(n) < 0.12] <- NA
  rows[[g]] <- data.frame(community = towns[g], arm = arm_of[g], age, female, smoker, duration,
                          hba1c_0, hba1c_12)
}
d <- do.call(rbind, rows)
d$id <- seq_len(nrow(d))
write.csv(d[, c("id", "community", "arm", "age", "female", "smoker", "duration", "hba1c_0",
                "hba1c_12")], "trial_r.csv", row.names = FALSE, na = "")

# References (Stata 13 conventions where the plan says stata13).
library(sandwich)
library(clubSandwich)
d$treated <- as.numeric(d$arm == "intervention")
d$gt8 <- as.numeric(d$hba1c_12 > 8)
G <- length(unique(d$community))
out <- c()
f <- function(name, x) out <<- c(out, sprintf("%s %.17g", name, x))
m <- lm(hba1c_12 ~ treated + hba1c_0, data = d)
cc <- d[complete.cases(d[, c("hba1c_12", "hba1c_0")]), ]
V <- vcovCL(m, cluster = ~community, type = "HC1", cadjust = TRUE)
se <- sqrt(V["treated", "treated"])
b <- coef(m)["treated"]
f("cr1_estimate", b); f("cr1_se", se); f("cr1_p", 2 * pt(-abs(b / se), G - 1))
f("cr1_lo", b - qt(0.975, G - 1) * se)
V2 <- vcovCR(m, cluster = cc$community, type = "CR2")
t2 <- coef_test(m, vcov = V2, test = "Satterthwaite")
f("cr2_se", t2$SE[2]); f("cr2_df", t2$df_Satt[2]); f("cr2_p", t2$p_Satt[2])
ml <- glm(gt8 ~ treated + hba1c_0, data = d, family = binomial, control = glm.control(epsilon = 1e-15, maxit = 100))
Vl <- vcovCL(ml, cluster = ~community, type = "HC0", cadjust = TRUE)
bl <- coef(ml)["treated"]; sel <- sqrt(Vl["treated", "treated"])
f("logit_estimate", bl); f("logit_se", sel); f("logit_p", 2 * pnorm(-abs(bl / sel)))
f("ttest_p", t.test(age ~ treated, data = d, var.equal = TRUE)$p.value)
f("ranksum_p", wilcox.test(duration ~ treated, data = d, exact = FALSE, correct = FALSE)$p.value)
f("chi2_p", suppressWarnings(chisq.test(table(d$smoker, d$treated), correct = FALSE)$p.value))
f("welch_p", t.test(age ~ treated, data = d)$p.value)
f("wilcox_p", suppressWarnings(wilcox.test(duration ~ treated, data = d)$p.value))
f("chisq_yates_p", suppressWarnings(chisq.test(table(d$smoker, d$treated))$p.value))
# Subgroups by baseline HbA1c > 8 %: CR1 within each level (G of the level's complete cases),
# and the treated:subgroup coefficient of the interaction model in the whole sample.
d$gt8_0 <- as.numeric(d$hba1c_0 > 8)
for (k in 0:1) {
  s <- d[d$gt8_0 == k, ]
  ms <- lm(hba1c_12 ~ treated + hba1c_0, data = s)
  used <- s[complete.cases(s[, c("hba1c_12", "hba1c_0")]), ]
  Gs <- length(unique(used$community))
  Vs <- vcovCL(ms, cluster = ~community, type = "HC1", cadjust = TRUE)
  bs <- coef(ms)["treated"]; ses <- sqrt(Vs["treated", "treated"])
  f(paste0("sub", k, "_estimate"), bs); f(paste0("sub", k, "_se"), ses)
  f(paste0("sub", k, "_p"), 2 * pt(-abs(bs / ses), Gs - 1)); f(paste0("sub", k, "_G"), Gs)
}
mi <- lm(hba1c_12 ~ treated * gt8_0 + hba1c_0, data = d)
Vi <- vcovCL(mi, cluster = ~community, type = "HC1", cadjust = TRUE)
bi <- coef(mi)["treated:gt8_0"]; sei <- sqrt(Vi["treated:gt8_0", "treated:gt8_0"])
f("interaction_estimate", bi); f("interaction_se", sei); f("interaction_p", 2 * pt(-abs(bi / sei), G - 1))
# Two intervention communities analysed as one (Dunmore merged into Bramley): G = 19, t(18).
d$community2 <- ifelse(d$community == "Dunmore", "Bramley", d$community)
mm <- lm(hba1c_12 ~ treated + hba1c_0, data = d)
Vm <- vcovCL(mm, cluster = ~community2, type = "HC1", cadjust = TRUE)
sem <- sqrt(Vm["treated", "treated"]); bm <- coef(mm)["treated"]
f("merged_se", sem); f("merged_p", 2 * pt(-abs(bm / sem), 18))
# A subgroup of three levels (age < 55, 55–64, 65+): the joint CR1 Wald test of the two
# treated × level terms, F(2, G − 1) (Stata: regress … i.treated##i.agegrp, vce(cluster); test).
d$agegrp <- ifelse(d$age < 55, 0, ifelse(d$age < 65, 1, 2))
mk <- lm(hba1c_12 ~ treated * factor(agegrp) + hba1c_0, data = d)
Vk <- vcovCL(mk, cluster = ~community, type = "HC1", cadjust = TRUE)
ik <- grep("^treated:factor", names(coef(mk)))
bk <- coef(mk)[ik]
Fk <- as.numeric(t(bk) %*% solve(Vk[ik, ik]) %*% bk) / length(ik)
f("interaction3_F", Fk); f("interaction3_p", pf(Fk, length(ik), G - 1, lower.tail = FALSE))
# The ICC of 12-month HbA1c as Stata's loneway computes it (Stata [R] loneway, Methods and
# formulas): one-way ANOVA by community (R's aov gives the mean squares), n0 = (N - sum n_i^2/N)/
# (G - 1), rho = (MSB - MSW)/(MSB + (n0 - 1) MSW), asymptotic SE of Swiger et al. (1964), rho +-
# z SE, design effect 1 + (N/G - 1) rho.
a <- d[!is.na(d$hba1c_12), ]
ms <- summary(aov(hba1c_12 ~ factor(community), data = a))[[1]][["Mean Sq"]]
N <- nrow(a); Ga <- length(unique(a$community)); ni <- table(a$community)
n0 <- (N - sum(ni^2) / N) / (Ga - 1)
rho <- (ms[1] - ms[2]) / (ms[1] + (n0 - 1) * ms[2])
se_rho <- sqrt(2 * (N - 1) * (1 - rho)^2 * (1 + (n0 - 1) * rho)^2 / (n0^2 * (N - Ga) * (Ga - 1)))
f("icc", rho); f("icc_se", se_rho)
f("icc_lo", rho - qnorm(0.975) * se_rho); f("icc_hi", rho + qnorm(0.975) * se_rho)
f("icc_deff", 1 + (N / Ga - 1) * rho)
writeLines(out, "reference.txt")
