## The exact REML optimum of lme4::Pastes (strength ~ 1 + (1 | batch/cask)): Newton steps with
## the analytic gradient and Hessian of the REML criterion in (theta, sigma), from lme4's fit.
## R 4.2.2, lme4 1.1.31. Run: Rscript exact_optimum_pastes.R
suppressPackageStartupMessages({library(lme4)}); options(digits=15)
newton <- function(fit, iters=8) {
  X <- as.matrix(getME(fit,"X")); y <- getME(fit,"y"); n <- nrow(X); p <- ncol(X)
  Zt <- getME(fit,"Zt"); Gp <- getME(fit,"Gp"); nt <- length(getME(fit,"theta"))
  G <- c(lapply(1:nt, function(k) tcrossprod(t(as.matrix(Zt[(Gp[k]+1):Gp[k+1],,drop=FALSE])))), list(diag(n)))
  phi <- c(getME(fit,"theta"), sigma(fit)); m <- nt+1
  for (it in 1:iters) {
    th <- phi[1:nt]; s <- phi[m]; psi <- c((s*th)^2, s^2)
    V <- Reduce(`+`, Map(`*`, psi, G)); Vi <- solve(V); Phi <- solve(t(X)%*%Vi%*%X)
    PR <- Vi - Vi%*%X%*%Phi%*%t(X)%*%Vi; Py <- PR%*%y
    gp <- sapply(1:m, function(i) sum(PR*G[[i]]) - drop(t(Py)%*%G[[i]]%*%Py))
    Hp <- outer(1:m,1:m, Vectorize(function(i,j) -sum(diag(PR%*%G[[i]]%*%PR%*%G[[j]])) + 2*drop(t(Py)%*%G[[i]]%*%PR%*%G[[j]]%*%Py)))
    J <- matrix(0,m,m); for (k in 1:nt) {J[k,k] <- 2*s^2*th[k]; J[k,m] <- 2*s*th[k]^2}; J[m,m] <- 2*s
    H <- t(J)%*%Hp%*%J
    for (k in 1:nt) { S <- matrix(0,m,m); S[k,k] <- 2*s^2; S[k,m] <- S[m,k] <- 4*s*th[k]; S[m,m] <- 2*th[k]^2; H <- H + gp[k]*S }
    H[m,m] <- H[m,m] + 2*gp[m]
    gr <- drop(t(J)%*%gp)
    phi <- phi - solve(H, gr)
  }
  crit <- determinant(V)$modulus[1] + determinant(solve(Phi))$modulus[1] + drop(t(y)%*%PR%*%y) + (n-p)*log(2*pi)
  list(phi=phi, grad=gr, crit=crit)
}
f <- lmer(strength ~ 1 + (1|batch/cask), Pastes)
f <- lmer(strength ~ 1 + (1|batch/cask), Pastes)
r <- newton(f); cat("Pastes exact theta,sigma:", sprintf("%.12f", r$phi), " |grad|", max(abs(r$grad)), " REML", sprintf("%.12f", r$crit), "\n")
