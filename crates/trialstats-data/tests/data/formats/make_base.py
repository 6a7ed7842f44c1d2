# Makes trial.csv, the reference of the format tests, from trialstats-robust's trial24.csv:
# the arm as its text labels, the site as a centre name with accents, five outcomes missing.
import csv, sys
src = sys.argv[1]
names = ["Créteil", "Göteborg", "Århus", "Lyon", "Málaga", "Zürich", "Nîmes", "Besançon",
         "Köln", "Sevilla", "Tromsø", "Orléans", "Évry", "Cádiz", "Genève", "Düren",
         "Lübeck", "Logroño", "Grenoble", "Salé", "Bordeaux", "Mâcon", "Ålesund", "Ourém"]
rows = list(csv.DictReader(open(src)))
with open("trial.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["id", "centre", "arm", "female", "base", "y"])
    for i, r in enumerate(rows, 1):
        y = "" if i % 50 == 7 else r["y"]
        arm = "intervention" if r["arm"] == "1" else "usual care"
        w.writerow([i, names[int(r["site"]) - 1], arm, r["female"], r["base"], y])
