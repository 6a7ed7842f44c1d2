suppressMessages(library(lme4))
d <- read.csv("trial_lmm.csv"); d <- d[!is.na(d$y),]
for (reml in c(TRUE, FALSE)) {
  dev <- lmer(y ~ arm*time + x1 + x2 + (1|community), data=d, REML=reml, devFunOnly=TRUE)
  o <- optimize(dev, c(0, 5), tol=1e-12)
  crit <- qchisq(0.95, 1)
  f <- function(r) dev(sqrt(r/(1-r))) - o$objective - crit
  rho <- o$minimum^2/(1+o$minimum^2)
  lo <- uniroot(f, c(1e-12, rho), tol=1e-14)$root
  hi <- uniroot(f, c(rho, 0.99), tol=1e-14)$root
  cat(sprintf("C1.%s.icc_profile_ci.lower = %.17g\nC1.%s.icc_profile_ci.upper = %.17g\n", if (reml) "reml" else "ml", lo, if (reml) "reml" else "ml", hi))
}
