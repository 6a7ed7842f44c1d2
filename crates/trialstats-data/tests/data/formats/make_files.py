# Python 3, pandas 3.1.1, pyreadstat 1.3.8, pyarrow 26.0.1, openpyxl 3.1.5, odfpy 1.4.1: the
# trial as Stata .dta 114, 117, 118 and 119 (pandas), .dta 118 (pyreadstat), Parquet, Feather
# (Arrow IPC), XLSX and ODS, and as three CSV dialects: -999 for missing, semicolons with decimal
# commas, Latin-1.
import pandas as pd, pyarrow as pa, pyarrow.parquet as pq, pyarrow.feather as feather, pyreadstat
d = pd.read_csv("trial.csv", encoding="utf-8", keep_default_na=False, na_values=[""])
codes = d.copy()
codes["arm"] = (d["arm"] == "intervention").astype("int8")
labels = {"arm": {0: "usual care", 1: "intervention"}}
for v in (114, 117, 118, 119):
    codes.to_stata(f"trial_pandas_{v}.dta", write_index=False, version=v, value_labels=labels,
                   variable_labels={"arm": "Randomised arm"})
pyreadstat.write_dta(codes, "trial_pyreadstat_118.dta", version=14,
                     variable_value_labels=labels, column_labels={"arm": "Randomised arm"})
table = pa.Table.from_pandas(d, preserve_index=False)
pq.write_table(table, "trial.parquet")
feather.write_feather(table, "trial.feather")
d.to_excel("trial.xlsx", index=False, sheet_name="trial")
d.to_excel("trial.ods", index=False, sheet_name="trial", engine="odf")
with open("trial_minus999.csv", "w", encoding="utf-8") as f:
    d.fillna({"y": -999}).to_csv(f, index=False, lineterminator="\n")
with open("trial_semicolon.csv", "w", encoding="utf-8") as f:
    d.to_csv(f, index=False, sep=";", decimal=",", lineterminator="\n")
with open("trial_latin1.csv", "w", encoding="latin-1") as f:
    d.to_csv(f, index=False, lineterminator="\r\n")
