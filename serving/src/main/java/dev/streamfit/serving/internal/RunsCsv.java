package dev.streamfit.serving.internal;

import dev.streamfit.serving.RunsTable;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs' learning curves as CSV, one row per evaluation: {@code run,step,epoch,samples_trained,learning_rate,
 * train_loss,train_accuracy,val_loss,val_accuracy}, then each configuration key that differs between the runs (so a
 * spreadsheet can group by it). Empty cells where a metric was not measured. Stateless.
 */
final class RunsCsv {
  private static final List<String> METRICS = List.of("train.loss", "train.accuracy", "val.loss", "val.accuracy");

  private RunsCsv() {}

  @SuppressWarnings("unchecked")
  static String of(List<Map<String, Object>> runs) {
    List<String> differing = differingKeys(runs);
    StringBuilder b = new StringBuilder("run,step,epoch,samples_trained,learning_rate,train_loss,train_accuracy,val_loss,"
        + "val_accuracy");
    differing.forEach(k -> b.append(',').append(cell(k)));
    b.append('\n');
    for (Map<String, Object> run : runs) {
      Map<String, String> config = (Map<String, String>) run.get("config");
      for (Map<String, Object> p : (List<Map<String, Object>>) run.get("points")) {
        Map<String, Double> m = (Map<String, Double>) p.get("metrics");
        b.append(cell((String) run.get("run"))).append(',').append(p.get("step")).append(',').append(p.get("epoch"))
            .append(',').append(p.get("samplesTrained")).append(',')
            .append(String.format(Locale.ROOT, "%.6g", (Double) p.get("learningRate")));
        for (String k : METRICS) {
          Double v = m.get(k);
          b.append(',').append(v == null || v.isNaN() ? "" : String.format(Locale.ROOT, "%.6f", v));
        }
        differing.forEach(k -> b.append(',').append(cell(config.getOrDefault(k, ""))));
        b.append('\n');
      }
    }
    return b.toString();
  }

  /** Configuration keys whose values are not the same in every run. */
  @SuppressWarnings("unchecked")
  static List<String> differingKeys(List<Map<String, Object>> runs) {
    return RunsTable.differingKeys(runs.stream().map(r -> (Map<String, String>) r.get("config")).toList());
  }

  private static String cell(String s) {
    return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }
}
