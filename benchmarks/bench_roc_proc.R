# pROC's bootstrap CI of the AUC on the benchmark set; prints the AUC, the CI and
# the seconds spent in ci.auc alone (R start-up and package loading excluded).
# Usage: Rscript bench_roc_proc.R DATA.csv BOOT_N
suppressMessages(library(pROC))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
boot_n <- as.integer(args[2])
r <- roc(d$truth, d$score, levels = c(0, 1), direction = "<", quiet = TRUE)
set.seed(1)
t <- system.time(ci <- ci.auc(r, method = "bootstrap", boot.n = boot_n, boot.stratified = TRUE,
                              progress = "none"))[["elapsed"]]
cat(sprintf("proc auc %.10f ci %.6f %.6f seconds %.4f\n", as.numeric(r$auc), ci[1], ci[3], t))
