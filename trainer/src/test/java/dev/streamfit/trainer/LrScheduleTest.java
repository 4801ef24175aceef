package dev.streamfit.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;

class LrScheduleTest {
  @Test
  void stepHalvesEveryPeriod() {
    LrSchedule s = new LrSchedule(LrSchedule.Kind.STEP, 100, 0.5, 0);
    assertThat(s.factor(0)).isEqualTo(1.0);
    assertThat(s.factor(99)).isEqualTo(1.0);
    assertThat(s.factor(100)).isEqualTo(0.5);
    assertThat(s.factor(250)).isEqualTo(0.25);
  }

  @Test
  void exponentialDecaysSmoothly() {
    LrSchedule s = new LrSchedule(LrSchedule.Kind.EXPONENTIAL, 100, 0.5, 0);
    assertThat(s.factor(50)).isCloseTo(Math.sqrt(0.5), offset(1e-12));
    assertThat(s.factor(200)).isCloseTo(0.25, offset(1e-12));
  }

  @Test
  void cosineGoesFromOneToTheFloorAndStays() {
    LrSchedule s = new LrSchedule(LrSchedule.Kind.COSINE, 1000, 1, 0.1);
    assertThat(s.factor(0)).isEqualTo(1.0);
    assertThat(s.factor(500)).isCloseTo(0.55, offset(1e-12));
    assertThat(s.factor(1000)).isCloseTo(0.1, offset(1e-12));
    assertThat(s.factor(5000)).isCloseTo(0.1, offset(1e-12));
    for (long t = 1; t <= 1000; t++) {
      assertThat(s.factor(t)).isLessThanOrEqualTo(s.factor(t - 1));
    }
  }

  @Test
  void cyclicalIsATriangleBetweenFloorAndOne() {
    LrSchedule s = new LrSchedule(LrSchedule.Kind.CYCLICAL, 10, 1, 0.2);
    assertThat(s.factor(0)).isCloseTo(0.2, offset(1e-12));
    assertThat(s.factor(5)).isCloseTo(0.6, offset(1e-12));
    assertThat(s.factor(10)).isCloseTo(1.0, offset(1e-12));
    assertThat(s.factor(15)).isCloseTo(0.6, offset(1e-12));
    assertThat(s.factor(20)).isCloseTo(0.2, offset(1e-12));
    assertThat(s.factor(30)).isCloseTo(1.0, offset(1e-12));
  }

  @Test
  void errorsNameTheFlag() {
    assertThatThrownBy(() -> LrSchedule.parseKind("linear")).hasMessage(
        "trainer.lr-schedule must be one of constant, step, exponential, cosine, cyclical, was 'linear' (set --lr-schedule)");
    assertThatThrownBy(() -> new LrSchedule(LrSchedule.Kind.STEP, 10, 1.5, 0)).hasMessage(
        "trainer.lr-gamma must be in (0, 1], was 1.5 (set --lr-gamma)");
  }
}
