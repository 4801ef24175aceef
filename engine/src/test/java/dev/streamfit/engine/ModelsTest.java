package dev.streamfit.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The bundled base imports, the classifier is built on it and survives serialisation. */
class ModelsTest {
  static ComputationGraph classifier;
  static final List<String> LABELS = List.of("a", "b", "c");

  @BeforeAll
  static void build() {
    classifier = Models.newClassifier(BaseModel.MOBILENET_V2_035, LABELS, 1e-3, 7, 224);
  }

  static List<byte[]> images(int n) {
    return images(n, 224);
  }

  static List<byte[]> images(int n, int size) {
    Random r = new Random(3);
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] b = new byte[size * size * 3];
      r.nextBytes(b);
      out.add(b);
    }
    return out;
  }

  @Test
  void classifierHasAFrozenBaseAndASoftmaxHeadOverTheLabels() throws Exception {
    Predictor p = new Predictor(classifier, LABELS, 224, 224, InputEncoder.NCHW);
    double[][] probs = p.probabilities(images(2));
    assertThat(probs).hasNumberOfRows(2);
    for (double[] row : probs) {
      assertThat(row).hasSize(3);
      assertThat(java.util.Arrays.stream(row).sum()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
    }
    assertThat(classifier.getLayer("Conv1")).isInstanceOf(org.deeplearning4j.nn.layers.FrozenLayer.class);
    assertThat(classifier.getLayer(Models.HEAD)).isNotInstanceOf(org.deeplearning4j.nn.layers.FrozenLayer.class);
  }

  @Test
  void headCanHaveAnInnerDenseLayerAndDropout() {
    ComputationGraph g = Models.newClassifier(BaseModel.MOBILENET_V2_035, new HeadSpec(32, 0.5), LABELS, 1e-3, 7, 160);
    assertThat(g.getLayer(Models.INNER).getParam("W").shape()).containsExactly(1280, 32);
    assertThat(g.getLayer(Models.HEAD).getParam("W").shape()).containsExactly(32, 3);
    assertThat(new Predictor(g, LABELS, 160, 160, InputEncoder.NCHW).probabilities(images(1, 160))[0]).hasSize(3);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new HeadSpec(0, 0.95))
        .hasMessage("trainer.dropout must be in [0, 0.9], was 0.95 (set --dropout)");
    assertThat(new HeadSpec(100, 0.2).describe()).isEqualTo("dense(100,relu)+dropout(0.2)+softmax");
  }

  @Test
  void serialisedModelGivesIdenticalOutputs() throws Exception {
    List<byte[]> x = images(2);
    double[][] before = new Predictor(classifier, LABELS, 224, 224, InputEncoder.NCHW).probabilities(x);
    byte[] bytes = Models.toBytes(classifier, false);
    ComputationGraph restored = Models.fromBytes(bytes, false);
    double[][] after = new Predictor(restored, LABELS, 224, 224, InputEncoder.NCHW).probabilities(x);
    for (int i = 0; i < before.length; i++) {
      assertThat(after[i]).containsExactly(before[i], org.assertj.core.data.Offset.offset(1e-6));
    }
  }
}
