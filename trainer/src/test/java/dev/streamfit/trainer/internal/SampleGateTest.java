package dev.streamfit.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.schemas.Activations;
import dev.streamfit.schemas.AugmentationParams;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.trainer.TrainerConfig;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which samples the trainer takes, per input: pixels of its size, or activations of its own frozen prefix. */
class SampleGateTest {
  static final TrainerConfig PIXELS = TrainerConfig.defaults("unused:9092", Topics.defaults(), Path.of("unused"), "m",
      List.of("a", "b"));
  static final TrainerConfig FEATURES = PIXELS.withInput(TrainerConfig.Input.FEATURES);

  static AugmentedSample sample(int size, byte[] pixels, Activations a) {
    return AugmentedSample.newBuilder().setSourceId("x").setEpoch(0).setVariant(0).setLabel("a").setSplit(Split.TRAIN)
        .setHeight(size).setWidth(size).setChannels(3).setPixels(ByteBuffer.wrap(pixels)).setActivations(a)
        .setAugmentation(AugmentationParams.newBuilder().setSeed(1).setApplied(true).build()).build();
  }

  static Activations activations(String prefix, List<Integer> shape, int bytes) {
    return Activations.newBuilder().setPrefix(prefix).setCut("c").setShape(shape).setFp16(ByteBuffer.allocate(bytes)).build();
  }

  @Test
  void pixelsMustHaveTheTrainersSize() {
    SampleGate gate = new SampleGate(PIXELS);
    assertThat(gate.check(sample(224, new byte[224 * 224 * 3], null))).isEqualTo(SampleGate.Verdict.TAKE);
    assertThat(gate.check(sample(160, new byte[160 * 160 * 3], null))).isEqualTo(SampleGate.Verdict.REFUSE);
    assertThat(gate.reason()).contains("160x160x3").contains("expects 224x224x3");
  }

  @Test
  void activationsMustBeOfTheTrainersOwnPrefixAndFitTheirShape() {
    SampleGate gate = new SampleGate(FEATURES);
    String mine = FEATURES.prefix().hash();
    assertThat(gate.check(sample(224, new byte[0], activations(mine, List.of(1280), 2560)))).isEqualTo(SampleGate.Verdict.TAKE);
    assertThat(gate.check(sample(224, new byte[0], activations(mine, List.of(1280), 100)))).isEqualTo(SampleGate.Verdict.REFUSE);
    assertThat(gate.reason()).contains("need 2560 bytes of fp16, got 100");
    assertThat(gate.check(sample(224, new byte[0], activations(mine, List.of(0), 0)))).isEqualTo(SampleGate.Verdict.REFUSE);
    assertThat(gate.check(sample(224, new byte[224 * 224 * 3], null))).isEqualTo(SampleGate.Verdict.REFUSE);
    assertThat(gate.reason()).contains("pixels, not activations");
    String other = PIXELS.withInput(TrainerConfig.Input.FEATURES).withTraining(
        new dev.streamfit.engine.TrainingSpec(dev.streamfit.engine.HeadSpec.SOFTMAX, dev.streamfit.engine.TrainingSpec.Optimizer.ADAM,
            1e-3, 0.9, 2, 1e-3, List.of())).prefix().hash();
    assertThat(other).isNotEqualTo(mine);
    assertThat(gate.check(sample(224, new byte[0], activations(other, List.of(56, 7, 7), 2 * 2744))))
        .isEqualTo(SampleGate.Verdict.SKIP);
    assertThat(gate.check(sample(224, new byte[0], activations(other, List.of(56, 7, 7), 2 * 2744))))
        .isEqualTo(SampleGate.Verdict.SKIP);
    assertThat(gate.skipped()).isEqualTo(2);
  }
}
