## nested_laplace.R -- the joint Laplace log-likelihood of the ordered logit with random
## intercepts for communities and participants within them, computed directly (each
## community's joint mode by Newton's method with step halving, to convergence; the log-determinant of the
## arrowhead Hessian), for the reference scripts (source()d by make_nested_ref.R and
## trialstats-plan's make_multilevel_ref.R).

pr <- function(z) plogis(z)
probs <- function(th, zeta, yy) {   # P(y = yy) at latent predictor zeta (yy in 1..nt+1)
  nt <- length(th)
  up <- ifelse(yy <= nt, th[pmin(yy, nt)] - zeta, Inf)
  lo <- ifelse(yy > 1, th[pmax(yy - 1, 1)] - zeta, -Inf)
  ## on the tail that avoids cancellation
  ifelse(lo > 0, plogis(lo, lower.tail = FALSE) - plogis(up, lower.tail = FALSE), pr(up) - pr(lo))
}

## The log-likelihood as a function of psi = (theta_1..nt, beta_1..k, log sd(community),
## log sd(participant)) for the design X (n x k, no intercept), categories y in 1..nt+1,
## the rows of each community (a list), and each row's participant.
nested_laplace <- function(X, y, nt, comm, pid_of) {
  k <- ncol(X)
  function(psi) {
    th <- psi[1:nt]; be <- psi[nt + 1:k]; sa <- exp(psi[nt + k + 1]); sb <- exp(psi[nt + k + 2])
    if (any(diff(th) <= 0)) return(-Inf)
    eta <- drop(X %*% be)
    ll <- 0
    terms <- function(rs, u, idx) {
      zeta <- eta[rs] + sa * u[1] + sb * u[1 + idx]
      th_up <- ifelse(y[rs] <= nt, th[pmin(y[rs], nt)] - zeta, Inf)
      th_lo <- ifelse(y[rs] > 1, th[pmax(y[rs] - 1, 1)] - zeta, -Inf)
      F1 <- pr(th_up); F0 <- pr(th_lo); f1 <- F1 * (1 - F1); f0 <- F0 * (1 - F0)
      p <- F1 - F0
      d1f <- f1 * (1 - 2 * F1); d0f <- f0 * (1 - 2 * F0)
      L1 <- -(f1 - f0) / p
      L2 <- (d1f - d0f) / p - L1^2
      list(p = p, L1 = L1, L2 = L2)
    }
    for (rs in comm) {
      ps <- unique(pid_of[rs]); n <- length(ps); idx <- match(pid_of[rs], ps)
      fidx <- factor(idx, levels = 1:n)
      hess <- function(L2) {
        A <- sa^2 * sum(L2) - 1
        cc <- sa * sb * tapply(L2, fidx, sum)
        D <- sb^2 * tapply(L2, fidx, sum) - 1
        H <- diag(c(A, D)); H[1, -1] <- cc; H[-1, 1] <- cc
        H
      }
      h <- function(u) sum(log(terms(rs, u, idx)$p)) - sum(u^2) / 2
      u <- numeric(n + 1)   # (a, b_1..b_n)
      for (it in 1:200) {
        tm <- terms(rs, u, idx)
        g <- c(sa * sum(tm$L1) - u[1], sb * tapply(tm$L1, fidx, sum) - u[-1])
        step <- solve(hess(tm$L2), g)
        ## Newton's step, halved while it lowers h (large SDs overshoot from u = 0)
        t <- 1
        while (!(h(u - t * step) >= h(u) - 1e-12 * abs(h(u))) && t > 1e-10) t <- t / 2
        u <- u - t * step
        if (max(abs(t * step)) < 1e-14) break
      }
      tm <- terms(rs, u, idx)
      ll <- ll + sum(log(tm$p)) - sum(u^2) / 2 -
        0.5 * determinant(-hess(tm$L2), logarithm = TRUE)$modulus
    }
    as.numeric(ll)
  }
}
