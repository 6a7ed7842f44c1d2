# R 4.2.2, haven 2.5.1: the trial as Stata .dta 118 (haven version 14; 117 and older refuse UTF-8 text), the
# arm a labelled 0/1 variable with variable labels.
library(haven)
d <- read.csv("trial.csv", encoding = "UTF-8", na.strings = "")
d$arm <- labelled(ifelse(d$arm == "intervention", 1, 0),
                  c("usual care" = 0, "intervention" = 1), label = "Randomised arm")
attr(d$y, "label") <- "HbA1c at 12 months (%)"
write_dta(d, "trial_haven_118.dta", version = 14)

