package dev.streamfit.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.engine.BaseModel;
import dev.streamfit.engine.Classifier;
import dev.streamfit.engine.HeadSpec;
import dev.streamfit.engine.ScratchShape;
import dev.streamfit.engine.TrainingSpec;
import dev.streamfit.schemas.AugmentationParams;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.Glyphs;
import dev.streamfit.trainer.LrSchedule;
import dev.streamfit.trainer.TrainerConfig;
import dev.streamfit.trainer.TrainerPolicy;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The training loop alone, no broker: catastrophic forgetting with and without rehearsal, and the evaluator's
 * decisions on a real model.
 */
class TrainingLoopTest {
  static final int SIZE = 32;
  static final List<String> A = Glyphs.CLASSES.subList(0, 4);
  static final List<String> B = Glyphs.CLASSES.subList(4, 8);
  static final List<String> LABELS = Glyphs.CLASSES.subList(0, 8);
  private long offset;

  static TrainerConfig config(double replayRatio) {
    return new TrainerConfig("unused:9092", Topics.defaults(), "g", Path.of("unused"), "glyphs", LABELS,
        BaseModel.SCRATCH_CNN, SIZE, new TrainingSpec(HeadSpec.SOFTMAX, TrainingSpec.Optimizer.ADAM, 0.003, 0.9, 0, 0.001,
        List.of()), LrSchedule.CONSTANT, 16, 5L, 64, TrainerPolicy.DEFAULTS, false,
        new TrainerConfig.Rehearsal(replayRatio, 48), ScratchShape.DEFAULT, TrainerConfig.Windows.DEFAULT, TrainerConfig.Input.PIXELS);
  }

  static AugmentedSample glyph(String label, Random r, Split split, String id) {
    byte[] px = Glyphs.rgbPixels(label, SIZE, r);
    return AugmentedSample.newBuilder().setSourceId(id).setEpoch(0).setVariant(0).setLabel(label).setSplit(split)
        .setHeight(SIZE).setWidth(SIZE).setChannels(3).setPixels(ByteBuffer.wrap(px))
        .setAugmentation(AugmentationParams.newBuilder().setSeed(0).setApplied(false).setSpecHash("none").build()).build();
  }

  static List<Held> probe(List<String> classes, int perClass, long seed) {
    Random r = new Random(seed);
    List<Held> out = new ArrayList<>();
    for (String c : classes) {
      for (int i = 0; i < perClass; i++) {
        out.add(new Held(new SampleRef("probe", 0, out.size()), glyph(c, r, Split.TEST, "p" + out.size())));
      }
    }
    return out;
  }

  /** Streams {@code passes} passes over {@code perClass} fresh images of each of {@code classes}, one class after another. */
  void stream(TrainingLoop loop, List<String> classes, int perClass, int passes, long seed) {
    Random r = new Random(seed);
    List<AugmentedSample> images = new ArrayList<>();
    for (String c : classes) {
      for (int i = 0; i < perClass; i++) {
        images.add(glyph(c, r, Split.TRAIN, c + seed + "-" + i));
      }
    }
    for (int p = 0; p < passes; p++) {
      for (AugmentedSample s : images) {
        loop.consumed(new SampleRef("images.augmented", 0, offset++), s);
        loop.trainReady();
      }
    }
    loop.drain();
  }

  /** Accuracy on A after phase 1 (A only) and after phase 2 (B only), with {@code replayRatio}. */
  double[] forgetting(double replayRatio) {
    TrainerConfig c = config(replayRatio);
    List<Held> probeA = probe(A, 40, 99);
    try (TrainingLoop loop = new TrainingLoop(c, Classifier.create(c.base(), c.training(), c.scratch(), LABELS, c.seed(),
        SIZE), TrainerState.Progress.initial(LABELS), refs -> Map.of())) {
      stream(loop, A, 32, 4, 1);
      double phase1 = Score.of(loop.model(), probeA, LABELS).accuracy();
      stream(loop, B, 32, 4, 2);
      double phase2 = Score.of(loop.model(), probeA, LABELS).accuracy();
      assertThat(loop.heldBytes()).as("rehearsal memory is bounded by per-class × classes")
          .isLessThanOrEqualTo(48L * LABELS.size() * SIZE * SIZE * 3);
      return new double[] {phase1, phase2};
    }
  }

  @Test
  void rehearsalKeepsTheOldClassesWhenTheStreamMovesOn() {
    dev.streamfit.engine.Natives.load();
    double[] off = forgetting(0);
    double[] on = forgetting(2);
    System.out.printf(java.util.Locale.ROOT, "forgetting: accuracy on classes A after phase 1 / after phase 2 (B only):"
        + " rehearsal off %.3f / %.3f, rehearsal on (ratio 2, 48 per class) %.3f / %.3f%n", off[0], off[1], on[0], on[1]);
    assertThat(on[0]).as("phase 1 learns A").isGreaterThan(0.8);
    assertThat(off[1]).as("without rehearsal, streaming only B forgets A").isLessThan(off[0] - 0.3);
    assertThat(on[1]).as("with rehearsal, A stays within 10 points").isGreaterThanOrEqualTo(on[0] - 0.10);
  }
}
