# References for the plan runner's multilevel outcome models on trial_r.csv (written by
# make_trial.R), R 4.2.2 with lme4 1.1.31, lmerTest 3.1.3, pbkrtest 0.5.1, ordinal 2022.11.16:
#   Rscript make_multilevel_ref.R   (in this directory; writes reference_multilevel.txt)
# The plan (tests/multilevel.rs) derives the same columns: gt7 = hba1c > 7 (its community
# variance is away from 0; at > 8 glmer and ours are at the boundary) and the category
# (hba1c > 7) + (hba1c > 8) at baseline and 12 months.
suppressPackageStartupMessages({ library(lme4); library(lmerTest); library(pbkrtest); library(ordinal); library(numDeriv) })
# The joint Laplace likelihood of the nested ordinal model, computed directly.
source("../../../trialstats-ordinal/tests/data/nested_laplace.R")
d <- read.csv("trial_r.csv")
d$treated <- as.numeric(d$arm == "intervention")
d$community <- factor(d$community)
d$gt7 <- as.numeric(d$hba1c_12 > 7)
out <- c()
f <- function(name, x) out <<- c(out, sprintf("%s %.17g", name, x))

# Linear mixed model, REML, the optimiser tightened (its default stops the REML criterion's
# search early; bobyqa with rhoend 1e-12 reaches the optimum to ~1e-10).
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e5))
m <- lmerTest::lmer(hba1c_12 ~ treated + hba1c_0 + (1 | community), data = d, REML = TRUE, control = ctrl)
for (ddf in c("Kenward-Roger", "Satterthwaite")) {
  s <- summary(m, ddf = ddf)$coefficients["treated", ]
  key <- if (ddf == "Kenward-Roger") "kr" else "satt"
  f(paste0(key, "_estimate"), s[["Estimate"]]); f(paste0(key, "_se"), s[["Std. Error"]])
  f(paste0(key, "_df"), s[["df"]]); f(paste0(key, "_p"), s[["Pr(>|t|)"]])
}

# Random-intercept logit, 7-node adaptive quadrature, tightened (bobyqa rhoend 1e-12, the
# inner PIRLS to 1e-13).
gctrl <- glmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5),
                      tolPwrss = 1e-13)
g <- glmer(gt7 ~ treated + hba1c_0 + (1 | community), data = d, family = binomial, nAGQ = 7,
           control = gctrl)
sg <- summary(g)$coefficients["treated", ]
f("glmm_estimate", sg[["Estimate"]]); f("glmm_se", sg[["Std. Error"]]); f("glmm_p", sg[["Pr(>|z|)"]])

# The longitudinal ordered logit: the baseline and 12-month categories as two times of each
# participant, random intercepts for the community and the participant within it, the joint
# Laplace approximation (the plan's nodes = 1): clmm with its inner mode search and nlminb
# tightened, then Newton steps on the Laplace likelihood computed directly (clmm stops with a
# gradient of ~1e-5, and its standard errors come from its own numerical Hessian), with
# numDeriv's gradient and Hessian; SEs from numDeriv's Hessian at that optimum.
cat_of <- function(h) (h > 7) + (h > 8)
long <- rbind(data.frame(id = d$id, community = d$community, treated = d$treated, time = 0, y = cat_of(d$hba1c_0)),
              data.frame(id = d$id, community = d$community, treated = d$treated, time = 1, y = cat_of(d$hba1c_12)))
long <- long[!is.na(long$y), ]
long$y <- factor(long$y, ordered = TRUE)
long$id <- factor(long$id)
o <- clmm(y ~ time * treated + (1 | community) + (1 | community:id), data = long, nAGQ = 1,
          control = clmm.control(gradTol = 1e-10, rel.tol = 1e-14, x.tol = 1e-12,
                                 eval.max = 1e5, iter.max = 1e5))
so <- summary(o)$coefficients["time:treated", ]
f("long_clmm_estimate", so[["Estimate"]]); f("long_clmm_se", so[["Std. Error"]]); f("long_n", nrow(long))
f("long_clmm_loglik", as.numeric(logLik(o))); f("long_clmm_max_gradient", max(abs(o$gradient)))
X <- cbind(time = long$time, treated = long$treated, "time:treated" = long$time * long$treated)
comm <- split(seq_len(nrow(long)), as.character(long$community))
laplace <- nested_laplace(X, as.integer(long$y), nlevels(long$y) - 1, comm,
                          paste(long$community, long$id))
st <- sapply(VarCorr(o), function(v) attr(v, "stddev"))
st <- st[c(grep("^community\\.", names(st)), grep("^community:id", names(st)))]
psi <- c(o$alpha, o$beta, log(st))
for (it in 1:25) {
  step <- solve(hessian(laplace, psi), grad(laplace, psi)); psi <- psi - step
  if (max(abs(step)) < 1e-9) break
}
se <- sqrt(diag(solve(-hessian(laplace, psi))))
f("long_estimate", psi[5]); f("long_se", se[5]); f("long_loglik", laplace(psi))
f("long_max_gradient", max(abs(grad(laplace, psi)))); f("long_newton_steps", it)
writeLines(c(paste("# make_multilevel_ref.R,", R.version.string, "lme4", as.character(packageVersion("lme4")),
                   "lmerTest", as.character(packageVersion("lmerTest")), "pbkrtest", as.character(packageVersion("pbkrtest")),
                   "ordinal", as.character(packageVersion("ordinal"))), out), "reference_multilevel.txt")
