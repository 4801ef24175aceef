package dev.streamfit.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.schemas.TrainingMetrics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runs side by side as a Markdown table: the columns are the keys that differ, the champion is the last published. */
class RunsTableTest {
  static TrainingMetrics eval(String run, String lr, long step, double val, Double test, Long published, long second) {
    Map<String, Double> metrics = test == null ? Map.of("val.accuracy", val) : Map.of("val.accuracy", val,
        "test.accuracy", test);
    return TrainingMetrics.newBuilder().setModelName("clothing").setStep(step).setEpoch(0).setTrigger("epoch_end")
        .setEvaluatedAt(Instant.ofEpochSecond(1_000 + second)).setSamplesTrained(step * 16).setLearningRate(0.1)
        .setMetrics(Map.copyOf(metrics)).setPublishedVersion(published).setRun(run)
        .setRunConfig(Map.of("learning-rate", lr, "base", "mobilenet-v1-0.75", "seed", run, "labels", "a,b")).build();
  }

  @Test
  void aRowPerRunWithTheDifferingKeysAndTheChampion() {
    List<TrainingMetrics> all = new ArrayList<>();
    all.add(eval("r1", "0.001", 10, 0.60, 0.58, 1L, 0));
    all.add(eval("r2", "0.01", 10, 0.70, 0.69, 1L, 5));
    all.add(eval("r1", "0.001", 20, 0.80, 0.77, 2L, 30));
    all.add(eval("r1", "0.001", 30, 0.82, null, null, 60)); // best seen, not published (not significant)
    all.add(eval("r2", "0.01", 20, 0.65, null, null, 40));
    all.add(TrainingMetrics.newBuilder(eval("x", "1", 1, 0.1, null, null, 0)).setRun(null).build()); // before runs existed
    List<RunsTable.Run> runs = RunsTable.group(all);
    assertThat(runs).extracting(RunsTable.Run::id).containsExactly("r1", "r2");
    String md = RunsTable.markdown(runs);
    List<String> lines = md.lines().toList();
    assertThat(lines).hasSize(4);
    // seed and labels differ or are noise: not columns; base is the same in both: not a column
    assertThat(lines.get(0)).isEqualTo("| run | model | learning-rate | champion | val acc | test acc | best val acc (step)"
        + " | evaluations | span s |");
    assertThat(lines.get(1)).isEqualTo("|---|---|---|---|---|---|---|---|---|");
    assertThat(lines.get(2)).isEqualTo("| r1 | clothing | 0.001 | v2 | 0.8000 | 0.7700 | 0.8200 (30) | 3 | 60 |");
    assertThat(lines.get(3)).isEqualTo("| r2 | clothing | 0.01 | v1 | 0.7000 | 0.6900 | 0.7000 (10) | 2 | 35 |");
  }
}
