package dev.streamfit.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.schemas.AugmentationParams;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.Split;
import dev.streamfit.trainer.EvalPoint;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvalWindowTest {
  static Held held(long offset, String source, String label, int bytes) {
    return new Held(new SampleRef("images.augmented", (int) (offset % 2), offset), AugmentedSample.newBuilder()
        .setSourceId(source).setEpoch(0).setVariant(0).setLabel(label).setSplit(Split.VALIDATION).setHeight(1)
        .setWidth(bytes / 3).setChannels(3).setPixels(ByteBuffer.wrap(new byte[bytes]))
        .setAugmentation(AugmentationParams.newBuilder().setSeed(1).setApplied(false).build()).build());
  }

  @Test
  void keepsTheNewestPerLabelAndCountsChanges() {
    EvalWindow w = new EvalWindow(3, 1 << 20);
    for (int i = 0; i < 10; i++) {
      assertThat(w.add(held(i, "s" + i, i % 2 == 0 ? "a" : "b", 30))).isTrue();
    }
    assertThat(w.size()).isEqualTo(6);
    assertThat(w.samples()).extracting(h -> h.ref().offset()).containsExactly(4L, 6L, 8L, 5L, 7L, 9L);
    assertThat(w.generation()).isEqualTo(10);
    assertThat(w.add(held(11, "s9", "b", 30))).as("an epoch replay of a held image").isFalse();
    assertThat(w.generation()).isEqualTo(10);
    assertThat(w.bytes()).isEqualTo(180);
  }

  @Test
  void overTheByteBoundTheOldestOfTheLargestLabelGoes() {
    EvalWindow w = new EvalWindow(100, 300);
    for (int i = 0; i < 8; i++) {
      w.add(held(i, "a" + i, "a", 30));
    }
    w.add(held(20, "b0", "b", 30));
    w.add(held(21, "b1", "b", 30));
    w.add(held(22, "b2", "b", 30)); // 11 × 30 > 300: a0 goes
    assertThat(w.bytes()).isLessThanOrEqualTo(300);
    assertThat(w.samples()).extracting(h -> h.sample().getSourceId()).startsWith("a1").contains("b0", "b1", "b2");
    for (int i = 0; i < 1000; i++) {
      w.add(held(100 + i, "x" + i, "l" + (i % 7), 30));
    }
    assertThat(w.bytes()).as("bounded whatever the stream's length").isLessThanOrEqualTo(300);
  }

  @Test
  void stateRoundTripsThroughPropertiesAndRefusesAnotherFormat() {
    var progress = new TrainerState.Progress(12, 96, 1, true, List.of("a", "b"), Map.of("t:0", 0L),
        Map.of("t:0", 96L, "t:1", 7L), List.of("h1"), List.of(new SampleRef("t", 0, 3), new SampleRef("t", 1, 4)),
        List.of(new SampleRef("t", 0, 5)), List.of(new SampleRef("t", 1, 6)), List.of(10L, 12L));
    var judgement = new TrainerState.Judgement(3, 2, 80, 0.75, 1, false, Map.of("a", 0.5, "b", 1.0),
        new TrainerState.Pending(2, Map.of("val.accuracy", 0.75), List.of("b")),
        List.of(new EvalPoint(12, 1, "idle", 0.01, 0.5, 0.7, 0.6, 0.75, 0.7, 3)));
    TrainerState s = new TrainerState(progress, judgement);
    TrainerState back = TrainerState.fromProperties(s.toProperties(), "test");
    assertThat(back).isEqualTo(s);
    var old = s.toProperties();
    old.setProperty("format", "1");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> TrainerState.fromProperties(old, "ckpt-1"))
        .hasMessageContaining("format 1").hasMessageContaining("--checkpoint-dir");
  }
}
