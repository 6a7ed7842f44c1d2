# Reference values for k-group tests, contingency tables, Wilcoxon exact CI, mice pooling.
# Run: cd /work/refs/kgroup && Rscript kgroup.R > kgroup.out 2>&1
suppressPackageStartupMessages(library(mice))

f <- function(x) {
  if (is.null(x)) return("NULL")
  paste(ifelse(is.na(x), "NA", sprintf("%.17g", x)), collapse = " ")
}
p <- function(label, x) cat(label, "=", f(x), "\n")
ptab <- function(name, T) {
  cat(name, " (", nrow(T), "x", ncol(T), ", n = ", sum(T), "), rows:\n", sep = "")
  for (i in seq_len(nrow(T))) cat("  ", paste(T[i, ], collapse = " "), "\n")
}

cat("R.version.string =", R.version.string, "\n")
cat("mice version =", as.character(packageVersion("mice")), "\n\n")

########################################################################
cat("==================== 1. Contingency tables ====================\n")
T1 <- matrix(c(3,1,4, 1,5,9, 2,6,5), 3, byrow = TRUE)
T2 <- matrix(c(5,5, 7,3, 2,8, 6,4, 4,6, 9,1, 3,7, 5,5, 8,2, 1,9), 10, byrow = TRUE)
T3 <- matrix(c(2,0,3,1,4, 5,2,0,3,1), 2, byrow = TRUE)
T4 <- matrix(c(0,3,2, 4,0,1, 2,2,0, 1,5,3), 4, byrow = TRUE)
T5 <- matrix(c(12,5,7,9, 8,14,6,3, 4,9,15,11), 3, byrow = TRUE)
i <- 1:30
T6 <- cbind(i %% 7 + 2, (3 * i) %% 11 + 1)
tabs <- list(T1 = T1, T2 = T2, T3 = T3, T4 = T4, T5 = T5, T6 = T6)
for (nm in names(tabs)) {
  T <- tabs[[nm]]
  dimnames(T) <- NULL
  write.csv(as.data.frame(T), sprintf("table_%s.csv", nm), row.names = FALSE)
  cat("\n---", nm, "---\n")
  ptab(nm, T)
  r0 <- suppressWarnings(chisq.test(T, correct = FALSE))
  p(paste0(nm, " chisq(correct=FALSE) statistic"), unname(r0$statistic))
  p(paste0(nm, " chisq(correct=FALSE) df"), unname(r0$parameter))
  p(paste0(nm, " chisq(correct=FALSE) p.value"), r0$p.value)
  r1 <- suppressWarnings(chisq.test(T))
  p(paste0(nm, " chisq(default) statistic"), unname(r1$statistic))
  p(paste0(nm, " chisq(default) df"), unname(r1$parameter))
  p(paste0(nm, " chisq(default) p.value"), r1$p.value)
  p(paste0(nm, " chisq min expected"), min(r0$expected))
  fres <- NULL
  tm <- system.time({
    fres <- tryCatch(fisher.test(T, workspace = 2e8), error = function(e) e)
  })
  if (inherits(fres, "error")) {
    cat(nm, " fisher.test(workspace=2e8) ERROR: ", conditionMessage(fres), "\n", sep = "")
    tm <- system.time({
      fres <- tryCatch(fisher.test(T, workspace = 1e9), error = function(e) e)
    })
  }
  if (inherits(fres, "error")) {
    cat(nm, " fisher.test(workspace=1e9) ERROR: ", conditionMessage(fres), "\n", sep = "")
  } else {
    p(paste0(nm, " fisher p.value"), fres$p.value)
  }
  if (nm %in% c("T2", "T6")) p(paste0(nm, " fisher elapsed seconds"), unname(tm["elapsed"]))
}

cat("\n--- 2x2 table matrix(c(3,1,1,3),2) ---\n")
T22 <- matrix(c(3, 1, 1, 3), 2)
write.csv(as.data.frame(T22), "table_2x2.csv", row.names = FALSE)
ptab("T22", T22)
ff <- fisher.test(T22)
p("T22 fisher p.value", ff$p.value)
p("T22 fisher estimate (conditional MLE odds ratio)", unname(ff$estimate))
p("T22 fisher conf.int (95%)", ff$conf.int)
r0 <- suppressWarnings(chisq.test(T22, correct = FALSE))
p("T22 chisq(correct=FALSE) statistic df p", c(unname(r0$statistic), unname(r0$parameter), r0$p.value))
r1 <- suppressWarnings(chisq.test(T22))
p("T22 chisq(Yates) statistic df p", c(unname(r1$statistic), unname(r1$parameter), r1$p.value))

########################################################################
cat("\n==================== 2. Kruskal-Wallis ====================\n")
g1 <- c(2.9, 3.0, 2.5, 2.6, 3.2, 2.5)
g2 <- c(3.8, 2.7, 4.0, 2.4, 2.5)
g3 <- c(2.8, 3.4, 3.7, 2.2, 2.0, 3.4, 2.9)
d3 <- data.frame(y = c(g1, g2, g3),
                 g = factor(rep(c("a", "b", "c"), c(length(g1), length(g2), length(g3)))))
write.csv(d3, "kw3.csv", row.names = FALSE)
cat("3-group data: g1 =", g1, "; g2 =", g2, "; g3 =", g3, "\n")
k3 <- kruskal.test(y ~ g, data = d3)
p("KW3 statistic (tie-corrected)", unname(k3$statistic))
p("KW3 df", unname(k3$parameter))
p("KW3 p.value", k3$p.value)
kw_uncorrected <- function(y, g) {
  N <- length(y); R <- rank(y)
  Ri <- tapply(R, g, sum); ni <- tapply(R, g, length)
  12 / (N * (N + 1)) * sum(Ri^2 / ni) - 3 * (N + 1)
}
H0 <- kw_uncorrected(d3$y, d3$g)
p("KW3 statistic WITHOUT tie correction", H0)
p("KW3 p.value WITHOUT tie correction (chisq df=2)", pchisq(H0, 2, lower.tail = FALSE))
tt <- table(d3$y); N <- nrow(d3)
p("KW3 tie correction factor 1 - sum(t^3-t)/(N^3-N)", 1 - sum(tt^3 - tt) / (N^3 - N))
p("KW3 rank sums a b c", tapply(rank(d3$y), d3$g, sum))

set.seed(29)
x4 <- round(rnorm(40, rep(c(0, 0.3, 0.6, 1), each = 10)), 1)
d4 <- data.frame(y = x4, g = factor(rep(c("a", "b", "c", "d"), each = 10)))
write.csv(d4, "kw4.csv", row.names = FALSE)
cat("4-group data (set.seed(29)), y by group:\n")
for (lv in levels(d4$g)) cat("  ", lv, ":", format(d4$y[d4$g == lv], nsmall = 1), "\n")
k4 <- kruskal.test(y ~ g, data = d4)
p("KW4 statistic (tie-corrected)", unname(k4$statistic))
p("KW4 df", unname(k4$parameter))
p("KW4 p.value", k4$p.value)
H04 <- kw_uncorrected(d4$y, d4$g)
p("KW4 statistic WITHOUT tie correction", H04)
p("KW4 p.value WITHOUT tie correction", pchisq(H04, 3, lower.tail = FALSE))

########################################################################
cat("\n==================== 3. One-way ANOVA ====================\n")
for (nm in c("3-group", "4-group")) {
  d <- if (nm == "3-group") d3 else d4
  a <- oneway.test(y ~ g, data = d, var.equal = TRUE)
  w <- oneway.test(y ~ g, data = d)
  cat("--", nm, "--\n")
  p(paste(nm, "oneway var.equal=TRUE F"), unname(a$statistic))
  p(paste(nm, "oneway var.equal=TRUE num df, denom df"), unname(a$parameter))
  p(paste(nm, "oneway var.equal=TRUE p.value"), a$p.value)
  p(paste(nm, "Welch F"), unname(w$statistic))
  p(paste(nm, "Welch num df, denom df"), unname(w$parameter))
  p(paste(nm, "Welch p.value"), w$p.value)
  s <- summary(aov(y ~ g, data = d))[[1]]
  p(paste(nm, "aov F"), s[["F value"]][1])
  p(paste(nm, "aov p"), s[["Pr(>F)"]][1])
  p(paste(nm, "aov Df (g, resid)"), s[["Df"]])
  p(paste(nm, "aov Sum Sq (g, resid)"), s[["Sum Sq"]])
  p(paste(nm, "aov Mean Sq (g, resid)"), s[["Mean Sq"]])
}

########################################################################
cat("\n==================== 4. Wilcoxon exact CI ====================\n")
gen_noties <- function(seed, n, shift) {
  for (dec in 3:8) {
    set.seed(seed)
    x <- round(rnorm(n, shift), dec)
    y <- round(rnorm(n), dec)
    if (!any(duplicated(c(x, y)))) return(list(x = x, y = y, dec = dec))
    cat("seed", seed, ": ties with", dec, "decimals, retrying with more\n")
  }
  stop("could not avoid ties")
}
do_wilcox <- function(tag, x, y, levels) {
  for (cl in levels) {
    r <- NULL
    tm <- system.time(r <- wilcox.test(x, y, exact = TRUE, conf.int = TRUE, conf.level = cl))
    p(sprintf("%s exact conf.level=%s W", tag, cl), unname(r$statistic))
    p(sprintf("%s exact conf.level=%s p.value", tag, cl), r$p.value)
    p(sprintf("%s exact conf.level=%s estimate", tag, cl), unname(r$estimate))
    p(sprintf("%s exact conf.level=%s conf.int", tag, cl), r$conf.int)
    p(sprintf("%s exact conf.level=%s attr(conf.int,'conf.level')", tag, cl), attr(r$conf.int, "conf.level"))
    p(sprintf("%s exact conf.level=%s elapsed seconds", tag, cl), unname(tm["elapsed"]))
  }
}
w400 <- gen_noties(400, 400, 0.2)
cat("n=400: decimals used =", w400$dec, "; any ties across 800 values:", any(duplicated(c(w400$x, w400$y))), "\n")
write.csv(data.frame(x = w400$x, y = w400$y), "wilcox400.csv", row.names = FALSE)
do_wilcox("n400", w400$x, w400$y, 0.95)

w50 <- gen_noties(50, 50, 0.2)
cat("n=50: set.seed(50); x = round(rnorm(50, 0.2), dec); y = round(rnorm(50), dec); decimals used =", w50$dec,
    "; any ties:", any(duplicated(c(w50$x, w50$y))), "\n")
write.csv(data.frame(x = w50$x, y = w50$y), "wilcox50.csv", row.names = FALSE)
do_wilcox("n50", w50$x, w50$y, c(0.95, 0.9))
ra <- wilcox.test(w50$x, w50$y, exact = FALSE, correct = TRUE, conf.int = TRUE)
p("n50 normal approx (exact=FALSE, correct=TRUE) W", unname(ra$statistic))
p("n50 normal approx (exact=FALSE, correct=TRUE) p.value", ra$p.value)
p("n50 normal approx (exact=FALSE, correct=TRUE) estimate", unname(ra$estimate))
p("n50 normal approx (exact=FALSE, correct=TRUE) conf.int", ra$conf.int)
cat("note: R's normal-approx CI/estimate come from uniroot(tol = 1e-4) in stats:::wilcox.test.default,\n",
    "      so they are only accurate to roughly 1e-4; compare with a loose tolerance.\n")
ra2 <- wilcox.test(w50$x, w50$y, exact = FALSE, correct = FALSE, conf.int = TRUE)
p("n50 normal approx (exact=FALSE, correct=FALSE) estimate", unname(ra2$estimate))
p("n50 normal approx (exact=FALSE, correct=FALSE) conf.int", ra2$conf.int)
p("n50 median of pairwise differences x_i - y_j (Hodges-Lehmann)", median(outer(w50$x, w50$y, "-")))
p("n400 median of pairwise differences x_i - y_j (Hodges-Lehmann)", median(outer(w400$x, w400$y, "-")))

########################################################################
cat("\n==================== 5. mice pooling, zero between-imputation variance ====================\n")
cat("--- source of mice:::pool.scalar ---\n"); print(mice:::pool.scalar)
cat("--- source of mice:::barnard.rubin ---\n"); print(mice:::barnard.rubin)
plist <- function(tag, res) {
  for (nm in names(res)) p(paste0(tag, " $", nm), res[[nm]])
}
Q <- rep(1.5, 5); U <- rep(0.04, 5)
cat("\n(a) pool.scalar(Q=rep(1.5,5), U=rep(0.04,5), n=25, k=3, rule='rubin1987')\n")
plist("(a)", mice:::pool.scalar(Q, U, n = 25, k = 3, rule = "rubin1987"))
cat("\n(b) pool.scalar(Q=rep(1.5,5), U=rep(0.04,5), n=Inf, k=1)\n")
plist("(b)", mice:::pool.scalar(Q, U, n = Inf, k = 1))
cat("\n(c) barnard.rubin\n")
p("(c) barnard.rubin(m=5, b=0, t=0.04, dfcom=22)", mice:::barnard.rubin(m = 5, b = 0, t = 0.04, dfcom = 22))
p("(c) barnard.rubin(m=5, b=0, t=0.04, dfcom=Inf)", mice:::barnard.rubin(m = 5, b = 0, t = 0.04, dfcom = Inf))
cat("\n(d) pool.scalar(Q=c(1.5,1.5,1.5,1.5,1.5000001), U=rep(0.04,5), n=25, k=3)\n")
plist("(d)", mice:::pool.scalar(c(1.5, 1.5, 1.5, 1.5, 1.5000001), U, n = 25, k = 3))
cat("\n(extra) pool.scalar(Q=rep(1.5,5), U=rep(0.04,5), rule='reiter2003') (b=0 -> division by zero)\n")
plist("(extra reiter2003)", mice:::pool.scalar(Q, U, n = 25, k = 3, rule = "reiter2003"))

cat("\nDONE\n")
