package dev.streamfit.serving;

import dev.streamfit.schemas.TrainingMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Training runs side by side as one table: a row per run (a trainer's lifetime under one configuration, from its
 * {@code training.metrics} evaluations), the configuration keys that differ between the runs as columns, then the
 * champion's validation and test accuracy (the last version the run published: what serving answers with), the best
 * validation accuracy seen and when, the evaluations and the span from the first to the last of them. What the
 * README's experiment tables are made of ({@code streamfit runs}). Stateless.
 */
public final class RunsTable {
  /** Keys that tell runs apart without saying how they were configured. */
  private static final List<String> NOT_COLUMNS = List.of("labels", "model-name", "seed", "window-max-bytes");

  private RunsTable() {}

  /** One run: its id, model, configuration and evaluations in order. */
  public record Run(String id, String model, Map<String, String> config, List<TrainingMetrics> evaluations) {}

  /** {@code evaluations} (any order of runs; each run's in its own order) grouped by run; those without a run left out. */
  public static List<Run> group(List<TrainingMetrics> evaluations) {
    Map<String, Run> runs = new LinkedHashMap<>();
    for (TrainingMetrics m : evaluations) {
      if (m.getRun() == null) {
        continue;
      }
      runs.computeIfAbsent(String.valueOf(m.getRun()), id -> new Run(id, String.valueOf(m.getModelName()),
          stringMap(m.getRunConfig()), new ArrayList<>())).evaluations().add(m);
    }
    return List.copyOf(runs.values());
  }

  /** Configuration keys whose values are not the same in every one of {@code configs}, sorted. */
  public static List<String> differingKeys(List<Map<String, String>> configs) {
    TreeSet<String> keys = new TreeSet<>();
    configs.forEach(c -> keys.addAll(c.keySet()));
    return keys.stream().filter(k -> configs.stream().map(c -> c.getOrDefault(k, "")).distinct().count() > 1).toList();
  }

  /** The runs as a GitHub-flavoured Markdown table (header, separator, a row per run). */
  public static String markdown(List<Run> runs) {
    List<String> keys = differingKeys(runs.stream().map(Run::config).toList()).stream()
        .filter(k -> !NOT_COLUMNS.contains(k)).toList();
    StringBuilder b = new StringBuilder("| run | model |");
    keys.forEach(k -> b.append(' ').append(k).append(" |"));
    b.append(" champion | val acc | test acc | best val acc (step) | evaluations | span s |\n|");
    for (int i = 0; i < keys.size() + 8; i++) {
      b.append("---|");
    }
    b.append('\n');
    for (Run r : runs) {
      b.append("| ").append(r.id()).append(" | ").append(r.model()).append(" |");
      keys.forEach(k -> b.append(' ').append(cell(r.config().getOrDefault(k, ""))).append(" |"));
      TrainingMetrics champion = null;
      TrainingMetrics best = null;
      for (TrainingMetrics m : r.evaluations()) {
        if (m.getPublishedVersion() != null) {
          champion = m;
        }
        if (best == null || val(m) > val(best)) {
          best = m;
        }
      }
      List<TrainingMetrics> e = r.evaluations();
      double span = Duration.between(e.get(0).getEvaluatedAt(), e.get(e.size() - 1).getEvaluatedAt()).toMillis() / 1e3;
      b.append(champion == null ? " - | - | - |" : String.format(Locale.ROOT, " v%d | %s | %s |",
          champion.getPublishedVersion(), fmt(champion.getMetrics().get("val.accuracy")),
          fmt(champion.getMetrics().get("test.accuracy"))));
      b.append(String.format(Locale.ROOT, " %s (%d) | %d | %.0f |%n", fmt(best.getMetrics().get("val.accuracy")),
          best.getStep(), e.size(), span));
    }
    return b.toString();
  }

  private static double val(TrainingMetrics m) {
    Double v = m.getMetrics().get("val.accuracy");
    return v == null || v.isNaN() ? Double.NEGATIVE_INFINITY : v;
  }

  private static String fmt(Double d) {
    return d == null || d.isNaN() ? "-" : String.format(Locale.ROOT, "%.4f", d);
  }

  private static String cell(String s) {
    return s.replace("|", "\\|");
  }

  private static Map<String, String> stringMap(Map<? extends CharSequence, ? extends CharSequence> m) {
    Map<String, String> out = new TreeMap<>();
    if (m != null) {
      m.forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
    }
    return out;
  }
}
