package dev.streamfit.serving.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The runs' CSV: one row per evaluation, differing configuration keys as columns, cells quoted where needed. */
class RunsCsvTest {
  static Map<String, Object> run(String id, Map<String, String> config, double... valAccuracy) {
    List<Map<String, Object>> points = new ArrayList<>();
    for (int i = 0; i < valAccuracy.length; i++) {
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("step", 10L * (i + 1));
      p.put("epoch", i);
      p.put("samplesTrained", 160L * (i + 1));
      p.put("learningRate", 0.001);
      p.put("metrics", Map.of("val.accuracy", valAccuracy[i], "train.loss", Double.NaN));
      points.add(p);
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("run", id);
    r.put("config", config);
    r.put("points", points);
    return r;
  }

  @Test
  void differingKeysBecomeColumnsAndCellsAreQuoted() {
    List<Map<String, Object>> runs = List.of(
        run("a", Map.of("learning-rate", "0.001", "labels", "hat,shoes", "epochs", "3"), 0.5, 0.6),
        run("b,2", Map.of("learning-rate", "0.01", "labels", "hat,shoes", "epochs", "3"), 0.7));
    assertThat(RunsCsv.differingKeys(runs)).containsExactly("learning-rate");
    List<String> lines = RunsCsv.of(runs).lines().toList();
    assertThat(lines).containsExactly(
        "run,step,epoch,samples_trained,learning_rate,train_loss,train_accuracy,val_loss,val_accuracy,learning-rate",
        "a,10,0,160,0.00100000,,,,0.500000,0.001",
        "a,20,1,320,0.00100000,,,,0.600000,0.001",
        "\"b,2\",10,0,160,0.00100000,,,,0.700000,0.01");
    assertThat(RunsCsv.differingKeys(List.of(runs.get(0)))).isEmpty();
  }
}
