# A trial file as a statistician would bring it, for the embedded paper plan's test (R 4.2.2):
#   trialstats simulate --seed 11 --out sim11.csv && Rscript make_clinical.R sim11.csv
# Text community names, `arm` as "usual care"/"intervention", only the clinical columns, ~3 %
# of clinical values missing at random. Writes trial_clinical.csv and clinical_reference.txt:
# the UKPDS 56 risk computed here from its published formula (specs/ukpds.md), and the paper's
# analyses with Stata 13's formulas (regress/logit vce(cluster); ttest; ranksum; tabulate chi2).
args <- commandArgs(trailingOnly = TRUE)
s <- read.csv(args[1])
set.seed(611)
towns <- c("Ararat", "Bairnsdale", "Colac", "Donald", "Echuca", "Euroa", "Hamilton", "Horsham",
           "Kyneton", "Leongatha", "Maffra", "Mansfield", "Nhill", "Orbost", "Portland", "Sale",
           "Seymour", "Stawell", "Swan Hill", "Traralgon", "Wangaratta", "Warragul", "Wodonga",
           "Yarram")
ids <- sort(unique(s$cluster))
d <- data.frame(id = s$id, region = s$region, community = towns[match(s$cluster, ids)],
                arm = ifelse(s$arm == "intervention", "intervention", "usual care"))
keep <- c("female", "age", "duration", "afro_caribbean", "af", "height")
for (t in c(0, 12)) keep <- c(keep, paste0(c("smoker", "hba1c", "sbp", "dbp", "tc", "hdl", "ldl",
                                             "tg", "weight", "waist"), "_", t))
for (k in keep) d[[k]] <- s[[k]]
for (k in c("hba1c_0", "sbp_0", "tc_0", "hdl_0", "weight_0", "sbp_12", "tc_12", "tg_12")) {
  d[[k]][runif(nrow(d)) < 0.03] <- NA
}
write.csv(d, "trial_clinical.csv", row.names = FALSE, na = "")

library(sandwich)
ukpds56 <- function(age_dx, dur, female, ac, smok, hba1c, sbp, ratio, T = 5) {
  q <- 0.0112 * 1.059^(age_dx - 55) * 0.525^female * 0.390^ac * 1.350^smok *
       1.183^(hba1c - 6.72) * 1.088^((sbp - 135.7) / 10) * 3.845^(log(ratio) - 1.59)
  dd <- 1.078
  1 - exp(-q * dd^dur * (1 - dd^T) / (1 - dd))
}
d$treated <- as.numeric(d$arm == "intervention")
age_dx <- d$age - d$duration
d$risk_0 <- ukpds56(age_dx, d$duration, d$female, d$afro_caribbean, d$smoker_0, d$hba1c_0,
                    d$sbp_0, d$tc_0 / d$hdl_0)
d$risk_12 <- ukpds56(age_dx, d$duration + 1, d$female, d$afro_caribbean, d$smoker_12,
                     d$hba1c_12, d$sbp_12, d$tc_12 / d$hdl_12)
out <- c()
f <- function(name, x) out <<- c(out, sprintf("%s %.17g", name, x))
cr1 <- function(formula, key) {
  m <- lm(formula, data = d)
  V <- vcovCL(m, cluster = ~community, type = "HC1", cadjust = TRUE)
  G <- length(unique(d$community[as.integer(rownames(model.frame(m)))]))
  b <- coef(m)["treated"]; se <- sqrt(V["treated", "treated"])
  f(paste0(key, "_estimate"), b); f(paste0(key, "_se"), se)
  f(paste0(key, "_p"), 2 * pt(-abs(b / se), G - 1)); f(paste0(key, "_n"), nobs(m))
}
cr1(risk_12 ~ treated + risk_0, "ukpds_risk")
cr1(hba1c_12 ~ treated + hba1c_0, "hba1c")
cr1(sbp_12 ~ treated + sbp_0, "sbp")
d$gt8_0 <- as.numeric(d$hba1c_0 > 8); d$gt8_12 <- as.numeric(d$hba1c_12 > 8)
ml <- glm(gt8_12 ~ treated + gt8_0, data = d, family = binomial,
          control = glm.control(epsilon = 1e-15, maxit = 100))
Vl <- vcovCL(ml, cluster = ~community, type = "HC0", cadjust = TRUE)
f("hba1c_gt8_estimate", coef(ml)["treated"]); f("hba1c_gt8_se", sqrt(Vl["treated", "treated"]))
f("ttest_age_p", t.test(age ~ treated, data = d, var.equal = TRUE)$p.value)
f("ranksum_duration_p", wilcox.test(duration ~ treated, data = d, exact = FALSE, correct = FALSE)$p.value)
f("chi2_female_p", chisq.test(table(d$female, d$treated), correct = FALSE)$p.value)
writeLines(out, "clinical_reference.txt")
