package dev.streamfit.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A head that grows keeps the old classes' weights and optimizer state, learns the new ones, and round-trips. */
class HeadGrowthTest {
  static final int SIZE = ScratchCnnTest.SIZE;

  static void train(Classifier c, int classes, int steps, Random r) {
    for (int step = 0; step < steps; step++) {
      List<byte[]> x = new ArrayList<>();
      int[] y = new int[12];
      for (int i = 0; i < y.length; i++) {
        y[i] = i % classes;
        x.add(image(y[i], r));
      }
      c.setLearningRates(3e-3, 3e-3);
      assertThat(c.fit(x, y)).isFinite();
    }
  }

  /** Classes 0-2 as in {@link ScratchCnnTest}; 3 = vertical stripes, 4 = a bright square on dark. */
  static byte[] image(int c, Random r) {
    if (c < 3) {
      return ScratchCnnTest.image(c, r);
    }
    byte[] px = new byte[SIZE * SIZE * 3];
    for (int y = 0; y < SIZE; y++) {
      for (int x = 0; x < SIZE; x++) {
        int v = (c == 3 ? (y / 4) % 2 == 0 : x > 8 && x < 24 && y > 8 && y < 24) ? 200 : 40;
        v += r.nextInt(60) - 30;
        for (int k = 0; k < 3; k++) {
          px[(y * SIZE + x) * 3 + k] = (byte) Math.max(0, Math.min(255, v));
        }
      }
    }
    return px;
  }

  static int argMax(double[] p) {
    int best = 0;
    for (int k = 1; k < p.length; k++) {
      best = p[k] > p[best] ? k : best;
    }
    return best;
  }

  @Test
  void oldClassesKeepTheirOutputsAndNewOnesAreLearned() throws Exception {
    Random r = new Random(5);
    try (Classifier c = Classifier.create(BaseModel.SCRATCH_CNN, TrainingSpec.adam(HeadSpec.SOFTMAX, 3e-3),
        List.of("dark", "bright", "stripes"), 1, SIZE)) {
      train(c, 3, 30, r);
      List<byte[]> probe = new ArrayList<>();
      for (int i = 0; i < 15; i++) {
        probe.add(image(i % 3, r));
      }
      double[][] before = c.probabilities(probe);

      c.growHead(5);

      assertThat(c.classes()).isEqualTo(5);
      double[][] after = c.probabilities(probe);
      for (int i = 0; i < probe.size(); i++) {
        assertThat(after[i]).hasSize(5);
        double oldMass = after[i][0] + after[i][1] + after[i][2];
        for (int k = 0; k < 3; k++) {
          // Same logits for the old classes: renormalised over them, the old probabilities come back.
          assertThat(after[i][k] / oldMass).isCloseTo(before[i][k], org.assertj.core.data.Offset.offset(1e-4));
        }
      }
      train(c, 5, 60, r);
      int correct = 0;
      List<byte[]> test = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        test.add(image(i % 5, r));
      }
      double[][] p = c.probabilities(test);
      for (int i = 0; i < p.length; i++) {
        correct += argMax(p[i]) == i % 5 ? 1 : 0;
      }
      assertThat(correct).as("accuracy over 5 classes after growth").isGreaterThanOrEqualTo(45);
      try (Classifier back = Classifier.fromBytes(c.toBytes(true), true, InputContract.square(SIZE))) {
        assertThat(back.classes()).isEqualTo(5);
        assertThat(back.probabilities(test.subList(0, 5))[0]).hasSize(5);
      }
      assertThatThrownBy(() -> c.growHead(5)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot grow");
    }
  }

  @Test
  void optimizerStateIsCarriedOverNotRestarted() {
    Random r = new Random(9);
    try (Classifier c = Classifier.create(BaseModel.SCRATCH_CNN, TrainingSpec.adam(HeadSpec.SOFTMAX, 3e-3),
        List.of("dark", "bright", "stripes"), 1, SIZE)) {
      train(c, 3, 5, r);
      ComputationGraph g = graphOf(c);
      INDArray oldState = g.getUpdater().getStateViewArray().dup();
      double oldParams = g.params().sumNumber().doubleValue();
      ComputationGraph grown = dev.streamfit.engine.internal.HeadGrowth.grow(g, Models.HEAD, 4);
      INDArray newState = grown.getUpdater().getStateViewArray();
      assertThat(oldState.norm1Number().doubleValue()).isNotZero();
      // Old moments copied, new outputs' moments zero: the state sums agree.
      assertThat(newState.amaxNumber().doubleValue()).isEqualTo(oldState.amaxNumber().doubleValue());
      double l1 = oldState.norm1Number().doubleValue();
      assertThat(newState.norm1Number().doubleValue()).isCloseTo(l1, org.assertj.core.data.Offset.offset(1e-5 * l1));
      assertThat(newState.length()).isGreaterThan(oldState.length());
      assertThat(g.params().sumNumber().doubleValue()).as("the old graph is left as it was").isEqualTo(oldParams);
    }
  }

  @Test
  void weightedLossRefusesToGrow() {
    TrainingSpec plain = TrainingSpec.adam(HeadSpec.SOFTMAX, 1e-3);
    TrainingSpec weighted = new TrainingSpec(plain.head(), plain.optimizer(), plain.learningRate(), plain.momentum(),
        plain.trainableBlocks(), plain.baseLearningRate(), List.of(1.0, 2.0));
    try (Classifier c = Classifier.create(BaseModel.SCRATCH_CNN, weighted, List.of("a", "b"), 1, SIZE)) {
      assertThatThrownBy(() -> c.growHead(3)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("per-class loss weights");
      assertThat(c.classes()).isEqualTo(2);
    }
  }

  private static ComputationGraph graphOf(Classifier c) {
    try {
      var f = Classifier.class.getDeclaredField("graph");
      f.setAccessible(true);
      return (ComputationGraph) f.get(c);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }
}
