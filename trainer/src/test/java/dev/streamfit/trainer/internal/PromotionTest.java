package dev.streamfit.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class PromotionTest {
  static final List<String> LABELS = List.of("a", "b");

  /** A score on n samples whose first {@code right} are correct; all of label a. */
  static Score score(int n, int... rightIndices) {
    boolean[] c = new boolean[n];
    for (int i : rightIndices) {
      c[i] = true;
    }
    return new Score(c, new int[n], 0.5, LABELS);
  }

  static int[] range(int from, int to) {
    return java.util.stream.IntStream.range(from, to).toArray();
  }

  @Test
  void mcnemarMatchesTheBinomialTail() {
    assertThat(Promotion.mcnemarOneSided(0, 0)).isEqualTo(1.0);
    assertThat(Promotion.mcnemarOneSided(5, 0)).isCloseTo(1 / 32.0, within(1e-12));
    assertThat(Promotion.mcnemarOneSided(0, 5)).isCloseTo(1.0, within(1e-12));
    // P(X ≥ 8 | n = 10) = (45 + 10 + 1) / 1024
    assertThat(Promotion.mcnemarOneSided(8, 2)).isCloseTo(56 / 1024.0, within(1e-12));
    // large windows do not underflow: 1100 vs 1000 discordant pairs is z ≈ 2.2
    assertThat(Promotion.mcnemarOneSided(1100, 1000)).isBetween(0.01, 0.02);
  }

  @Test
  void aWorseCandidateIsNeverPublishedWhateverTheIntervalSays() {
    Score champion = score(100, range(0, 80));
    Score candidate = score(100, range(1, 80)); // one fewer right
    Promotion.Decision d = Promotion.decide(candidate, champion, 0.0, 0.05, true, true);
    assertThat(d.publish()).isFalse();
    assertThat(d.verdict()).isEqualTo("worse");
    assertThat(d.championOnly()).isEqualTo(1);
  }

  @Test
  void aSmallGainIsNoiseUntilTheIntervalMakesItFresher() {
    Score champion = score(100, range(0, 80));
    Score candidate = score(100, range(0, 82)); // +2 points: p = 0.25
    assertThat(Promotion.decide(candidate, champion, 0.0, 0.05, true, false).verdict()).isEqualTo("not_significant");
    Promotion.Decision fresher = Promotion.decide(candidate, champion, 0.0, 0.05, true, true);
    assertThat(fresher.publish()).isTrue();
    assertThat(fresher.verdict()).isEqualTo("fresher");
    assertThat(fresher.pValue()).isCloseTo(0.25, within(1e-12));
    assertThat(Promotion.decide(candidate, champion, 0.0, 0.05, false, true).verdict()).isEqualTo("no_new_data");
    assertThat(Promotion.decide(score(100, range(0, 80)), champion, 0.0, 0.05, true, false).verdict()).isEqualTo("interval");
  }

  @Test
  void aSignificantGainBeyondTheMarginPublishesAtOnce() {
    Score champion = score(200, range(0, 120));
    Score candidate = score(200, range(0, 150)); // 30 discordant, all the candidate's: p = 2^-30
    Promotion.Decision d = Promotion.decide(candidate, champion, 0.1, 0.05, true, false);
    assertThat(d.verdict()).isEqualTo("better");
    assertThat(d.publish()).isTrue();
    // the same gain below a 0.2 margin is not "better"
    assertThat(Promotion.decide(candidate, champion, 0.2, 0.05, true, false).publish()).isFalse();
  }

  @Test
  void firstEveryAndNoValidation() {
    assertThat(Promotion.decide(score(10), null, 0.0, 0.05, true, false).verdict()).isEqualTo("first");
    assertThat(Promotion.decide(score(10), score(10, range(0, 10)), -1, 0.05, false, false).verdict()).isEqualTo("every");
    Score none = Score.empty(LABELS);
    assertThat(Promotion.decide(none, none, 0.0, 0.05, true, false).publish()).isTrue();
    assertThat(Promotion.decide(none, none, 0.0, 0.05, false, false).publish()).isFalse();
    assertThatThrownBy(() -> Promotion.decide(score(10), score(11), 0, 0.05, true, true))
        .hasMessageContaining("different sets");
  }

  @Test
  void driftFlagsOnlyClearDropsOnEnoughSamples() {
    boolean[] c = new boolean[40];
    int[] t = new int[40];
    for (int i = 0; i < 40; i++) {
      t[i] = i < 20 ? 0 : 1;
      c[i] = i < 20 ? i < 10 : i < 5 + 20; // a: 10/20 right, b: 5/20 right
    }
    Score recent = new Score(c, t, 1.0, LABELS);
    var drops = Drift.drops(java.util.Map.of("a", 0.6, "b", 0.9), recent, 0.2, 10);
    assertThat(drops).extracting(Drift.Drop::label).containsExactly("b");
    assertThat(drops.get(0).recent()).isEqualTo(0.25);
    assertThat(Drift.drops(java.util.Map.of("a", 0.6, "b", 0.9), recent, 0.2, 21)).isEmpty();
    assertThat(Drift.drops(java.util.Map.of("a", 0.6, "b", 0.9), recent, 1.0, 10)).isEmpty();
  }
}
