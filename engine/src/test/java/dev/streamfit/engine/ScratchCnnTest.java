package dev.streamfit.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The network trained from scratch learns a small task, round-trips through bytes, and refuses what does not apply. */
class ScratchCnnTest {
  static final int SIZE = 32;
  static final List<String> LABELS = List.of("dark", "bright", "stripes");

  /** A noisy {@code SIZE}x{@code SIZE} grey image of class {@code c} (uint8 HWC RGB). */
  static byte[] image(int c, Random r) {
    byte[] px = new byte[SIZE * SIZE * 3];
    for (int y = 0; y < SIZE; y++) {
      for (int x = 0; x < SIZE; x++) {
        int v = switch (c) {
          case 0 -> 40;
          case 1 -> 200;
          default -> (x / 4) % 2 == 0 ? 40 : 200;
        } + r.nextInt(60) - 30;
        for (int k = 0; k < 3; k++) {
          px[(y * SIZE + x) * 3 + k] = (byte) Math.max(0, Math.min(255, v));
        }
      }
    }
    return px;
  }

  @Test
  void learnsFromScratchAndRoundTripsThroughBytes() throws Exception {
    Random r = new Random(7);
    try (Classifier c = Classifier.create(BaseModel.SCRATCH_CNN, TrainingSpec.adam(HeadSpec.SOFTMAX, 3e-3), LABELS, 1, SIZE)) {
      assertThat(c.trainableLayers()).contains("scratch_conv0", "scratch_bn0", "head");
      assertThat(c.classes()).isEqualTo(3);
      for (int step = 0; step < 40; step++) {
        List<byte[]> x = new ArrayList<>();
        int[] y = new int[12];
        for (int i = 0; i < y.length; i++) {
          y[i] = i % 3;
          x.add(image(y[i], r));
        }
        c.setLearningRates(3e-3, 1e-9); // the body trains at the head's rate whatever the base rate says
        assertThat(c.fit(x, y)).isFinite();
      }
      List<byte[]> test = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        test.add(image(i % 3, r));
      }
      double[][] p = c.probabilities(test);
      int correct = 0;
      for (int i = 0; i < p.length; i++) {
        int best = 0;
        for (int k = 1; k < 3; k++) {
          best = p[i][k] > p[i][best] ? k : best;
        }
        correct += best == i % 3 ? 1 : 0;
      }
      assertThat(correct).as("correct of 30").isGreaterThanOrEqualTo(27);
      byte[] bytes = c.toBytes(false);
      try (Classifier back = Classifier.fromBytes(bytes, false, InputContract.square(SIZE))) {
        double[][] q = back.probabilities(test);
        for (int i = 0; i < p.length; i++) {
          for (int k = 0; k < 3; k++) {
            assertThat(q[i][k]).isCloseTo(p[i][k], org.assertj.core.data.Offset.offset(1e-5));
          }
        }
      }
    }
  }

  @Test
  void fineTuneBlocksAndImportDoNotApplyToTheScratchNetwork() {
    assertThat(BaseModel.fromId("scratch-cnn").pretrained()).isFalse();
    assertThatThrownBy(() -> Models.importBase(BaseModel.SCRATCH_CNN)).hasMessageContaining("no pretrained weights");
    TrainingSpec fineTune = new TrainingSpec(HeadSpec.SOFTMAX, TrainingSpec.Optimizer.ADAM, 1e-3, 0.9, 1, 1e-4, List.of());
    assertThatThrownBy(() -> fineTune.validateFor(BaseModel.SCRATCH_CNN, 3))
        .hasMessageContaining("trainer.fine-tune-blocks must be in [0, 0] for scratch-cnn");
  }

  @Test
  void widthAndDepthAreOptions() {
    TrainingSpec spec = TrainingSpec.adam(HeadSpec.SOFTMAX, 3e-3);
    try (Classifier small = Classifier.create(BaseModel.SCRATCH_CNN, spec, new ScratchShape(8, 2), LABELS, 1, SIZE);
        Classifier usual = Classifier.create(BaseModel.SCRATCH_CNN, spec, LABELS, 1, SIZE);
        Classifier deep = Classifier.create(BaseModel.SCRATCH_CNN, spec, new ScratchShape(16, 5), LABELS, 1, SIZE)) {
      assertThat(small.trainableLayers()).contains("scratch_conv1").doesNotContain("scratch_conv2");
      assertThat(deep.trainableLayers()).contains("scratch_conv4");
      assertThat(small.parameterCount()).isLessThan(usual.parameterCount());
      assertThat(deep.parameterCount()).isGreaterThan(usual.parameterCount());
      Random r = new Random(1);
      assertThat(deep.probabilities(List.of(image(0, r)))[0]).hasSize(3);
    }
    assertThatThrownBy(() -> new ScratchShape(2, 3)).hasMessageContaining("scratch-width must be in [4, 256], was 2");
    assertThatThrownBy(() -> new ScratchShape(16, 7)).hasMessageContaining("scratch-blocks must be in [1, 6], was 7");
    assertThatThrownBy(() -> Classifier.create(BaseModel.SCRATCH_CNN, TrainingSpec.adam(HeadSpec.SOFTMAX, 3e-3),
        new ScratchShape(16, 6), LABELS, 1, SIZE)).hasMessageContaining("too small for 6 scratch blocks");
  }
}
