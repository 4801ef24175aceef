package dev.streamfit.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.http.HttpError;
import dev.streamfit.serving.internal.FeedbackDesk;
import dev.streamfit.serving.internal.PredictionLog;
import dev.streamfit.serving.internal.RateLimiter;
import dev.streamfit.serving.internal.Rollout;
import dev.streamfit.serving.internal.VersionStats;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rollout's and feedback's decisions as plain functions: no broker, no model, no HTTP server. */
class RolloutDecisionsTest {
  static final RolloutPolicy POLICY = RolloutPolicy.defaults().withCanary(0.1, 100).withRollback(10, 0.2, 5);

  static VersionStats.Snapshot stats(long v, int requests, int errors, double latencyMs, boolean... feedback) {
    VersionStats s = new VersionStats(v, 10);
    for (int i = 0; i < requests; i++) {
      s.request(i >= errors, (long) (latencyMs * 1e6));
    }
    for (boolean f : feedback) {
      s.feedback(f);
    }
    return s.snapshot();
  }

  static boolean[] answers(int right, int wrong) {
    boolean[] b = new boolean[right + wrong];
    for (int i = 0; i < right; i++) {
      b[i] = true;
    }
    return b;
  }

  @Test
  void canaryRoutingHoldsItsShareOverAnyRun() {
    for (double share : new double[] {0, 0.01, 0.1, 0.25, 0.5, 1}) {
      int n = 0;
      for (long i = 0; i < 2000; i++) {
        n += Rollout.toCanary(i, share) ? 1 : 0;
      }
      assertThat(n).as("share " + share).isEqualTo((int) Math.floor(2000 * share));
    }
    int run = 0; // any 100 consecutive requests hold 10 ± 1 at share 0.1
    for (long i = 537; i < 637; i++) {
      run += Rollout.toCanary(i, 0.1) ? 1 : 0;
    }
    assertThat(run).isBetween(9, 11);
  }

  @Test
  void canaryIsJudgedOnErrorsLatencyAndLiveAccuracy() {
    VersionStats.Snapshot stable = stats(1, 900, 0, 10, answers(20, 0));
    assertThat(Rollout.judgeCanary(stats(2, 99, 0, 10), stable, POLICY).kind()).isEqualTo(Rollout.Kind.WAIT);
    assertThat(Rollout.judgeCanary(stats(2, 100, 0, 12), stable, POLICY).kind()).isEqualTo(Rollout.Kind.PROMOTE);
    assertThat(Rollout.judgeCanary(stats(2, 100, 2, 10), stable, POLICY).kind()).as("2 % errors: at the margin")
        .isEqualTo(Rollout.Kind.PROMOTE);
    Rollout.Verdict errors = Rollout.judgeCanary(stats(2, 100, 3, 10), stable, POLICY);
    assertThat(errors.kind()).isEqualTo(Rollout.Kind.RETIRE);
    assertThat(errors.reason()).contains("error rate 0.0300");
    assertThat(Rollout.judgeCanary(stats(2, 100, 0, 41), stable, POLICY).reason()).contains("mean latency 41.0 ms");
    assertThat(Rollout.judgeCanary(stats(2, 100, 0, 39), stable, POLICY).kind()).isEqualTo(Rollout.Kind.PROMOTE);
    Rollout.Verdict wrong = Rollout.judgeCanary(stats(2, 100, 0, 10, answers(7, 3)), stable, POLICY);
    assertThat(wrong.kind()).isEqualTo(Rollout.Kind.RETIRE);
    assertThat(wrong.reason()).contains("live accuracy 0.7000");
    assertThat(Rollout.judgeCanary(stats(2, 100, 0, 10, answers(3, 1)), stable, POLICY).kind())
        .as("too little feedback to count").isEqualTo(Rollout.Kind.PROMOTE);
  }

  @Test
  void canaryIsComparedWithTheStableVersionOverItsOwnPeriod() {
    VersionStats stable = new VersionStats(1, 10);
    for (int i = 0; i < 100; i++) {
      stable.request(i % 2 == 0, 100_000_000); // before the canary: half failed, 100 ms
    }
    VersionStats.Snapshot atStart = stable.snapshot();
    for (int i = 0; i < 100; i++) {
      stable.request(true, 10_000_000); // while the canary runs: none failed, 10 ms
    }
    VersionStats.Snapshot period = stable.snapshot().since(atStart);
    assertThat(period.requests()).isEqualTo(100);
    assertThat(period.errorRate()).isZero();
    assertThat(period.meanLatencyMs()).isCloseTo(10.0, org.assertj.core.data.Offset.offset(1e-6));
    VersionStats.Snapshot canary = stats(2, 100, 5, 10);
    assertThat(Rollout.judgeCanary(canary, stable.snapshot(), POLICY).kind()).as("against its whole life")
        .isEqualTo(Rollout.Kind.PROMOTE);
    assertThat(Rollout.judgeCanary(canary, period, POLICY).kind()).as("against the same period")
        .isEqualTo(Rollout.Kind.RETIRE);
  }

  @Test
  void rollbackNeedsAFullWindowBelowTheBaselineByTheThreshold() {
    VersionStats.Snapshot previous = stats(1, 0, 0, 0, answers(9, 1));
    double baseline = Rollout.baseline(previous, 0.5, POLICY);
    assertThat(baseline).as("live accuracy beats the offline figure").isEqualTo(0.9);
    assertThat(Rollout.baseline(stats(1, 0, 0, 0, answers(2, 0)), 0.5, POLICY)).as("too little feedback").isEqualTo(0.5);
    assertThat(Rollout.judgeLive(stats(2, 0, 0, 0, answers(0, 9)), baseline, POLICY).kind()).isEqualTo(Rollout.Kind.WAIT);
    assertThat(Rollout.judgeLive(stats(2, 0, 0, 0, answers(0, 10)), baseline, POLICY).kind())
        .isEqualTo(Rollout.Kind.ROLL_BACK);
    assertThat(Rollout.judgeLive(stats(2, 0, 0, 0, answers(7, 3)), baseline, POLICY).kind()).as("0.7 = 0.9 - 0.2")
        .isEqualTo(Rollout.Kind.WAIT);
    assertThat(Rollout.judgeLive(stats(2, 0, 0, 0, answers(6, 4)), baseline, POLICY).kind()).isEqualTo(Rollout.Kind.ROLL_BACK);
    assertThat(Rollout.judgeLive(stats(2, 0, 0, 0, answers(0, 10)), Double.NaN, POLICY).kind()).as("no baseline")
        .isEqualTo(Rollout.Kind.WAIT);
    // the window slides: old wrong answers leave it
    VersionStats s = new VersionStats(2, 10);
    for (boolean b : answers(0, 10)) {
      s.feedback(b);
    }
    for (int i = 0; i < 10; i++) {
      s.feedback(true);
    }
    assertThat(s.snapshot().windowAccuracy()).isEqualTo(1.0);
    assertThat(s.snapshot().liveAccuracy()).isEqualTo(0.5);
  }

  @Test
  void policyRefusesValuesOutOfRangeNamingTheFlag() {
    assertThatThrownBy(() -> RolloutPolicy.defaults().withCanary(1.5, 10))
        .hasMessageContaining("serving.canary-share must be in [0, 1], was 1.5 (set --canary-share)");
    assertThatThrownBy(() -> RolloutPolicy.defaults().withCanary(-0.1, 10)).hasMessageContaining("--canary-share");
    assertThatThrownBy(() -> RolloutPolicy.Mode.parse("blue-green")).hasMessageContaining("immediate, canary or shadow");
    assertThatThrownBy(() -> FeedbackPolicy.defaults().withRate(0, 5)).hasMessageContaining("--feedback-rate");
  }

  @Test
  void feedbackDeskChecksEachRuleAndCountsOnce() {
    PredictionLog log = new PredictionLog(3, 100, Duration.ofMinutes(1));
    Instant t = Instant.parse("2026-12-03T00:00:00Z");
    List<String> labels = List.of("hat", "pants");
    log.add("p1", "img1", "m", 1, "stable", "hat", labels, new byte[60], t);
    log.add("p2", "img2", "m", 1, "canary", "pants", labels, new byte[60], t); // over the byte budget: p1's image goes
    FeedbackDesk desk = new FeedbackDesk(log, new RateLimiter(1, 2, 100));
    FeedbackDesk.Accepted a = desk.accept("p1", null, "pants", null, null, t, 0);
    assertThat(a.correct()).isFalse();
    assertThat(log.image(a.entry())).as("dropped for the budget").isNull();
    assertThat(desk.accept(null, "img2", "pants", null, null, t, 0).correct()).isTrue();
    assertThat(log.imageBytes()).isEqualTo(60);
    assertCode(() -> desk.accept("p1", null, "hat", null, null, t, 0), 409, "duplicate_feedback");
    assertCode(() -> desk.accept("p9", null, "hat", null, null, t, 0), 404, "unknown_prediction");
    log.add("p3", "img3", "m", 1, "stable", "hat", labels, null, t);
    assertCode(() -> desk.accept("p3", null, "cap", null, null, t, 0), 422, "unknown_label");
    assertCode(() -> desk.accept("p3", null, "hat", new byte[] {1}, null, t, 0), 422, "image_mismatch");
    assertCode(() -> desk.accept(null, null, "hat", null, null, t, 0), 400, "bad_request");
    assertCode(() -> desk.accept("p3", null, "hat", null, null, t.plus(Duration.ofMinutes(2)), 0), 404,
        "unknown_prediction"); // past the retention
    log.add("p4", "img4", "m", 1, "stable", "hat", labels, null, t);
    log.add("p5", "img5", "m", 1, "stable", "hat", labels, null, t);
    log.add("p6", "img6", "m", 1, "stable", "hat", labels, null, t);
    assertThat(log.size()).as("at most 3 remembered").isEqualTo(3);
    // rate: burst 2, then one a second
    desk.accept("p4", null, "hat", null, "c", t, 0);
    desk.accept("p5", null, "hat", null, "c", t, 0);
    assertCode(() -> desk.accept("p6", null, "hat", null, "c", t, 0), 429, "rate_limited");
    assertThat(desk.accept("p6", null, "hat", null, "c", t, 1_000_000_000L).correct()).isTrue();
  }

  @Test
  void perVersionSeriesStayBounded() {
    dev.streamfit.serving.internal.ServingMetrics m = new dev.streamfit.serving.internal.ServingMetrics();
    for (long v = 1; v <= 20; v++) {
      m.version(null, new VersionStats(v, 10));
      m.versionLatency(null, v, 1_000_000);
    }
    String scrape = m.scrape();
    assertThat(scrape).contains("streamfit_serving_version_requests{version=\"20\"}")
        .contains("streamfit_serving_version_latency_seconds_count{version=\"13\"}")
        .doesNotContain("version=\"12\"").doesNotContain("version=\"1\"");
    m.versionLatency(null, 21, 1_000_000); // latency first, then the gauges: both exported
    m.version(null, new VersionStats(21, 10));
    assertThat(m.scrape()).contains("streamfit_serving_version_requests{version=\"21\"}")
        .contains("streamfit_serving_version_latency_seconds_count{version=\"21\"}");
  }

  static void assertCode(Runnable r, int status, String code) {
    assertThatThrownBy(r::run).isInstanceOfSatisfying(HttpError.class, e -> {
      assertThat(e.status()).isEqualTo(status);
      assertThat(e.code()).isEqualTo(code);
    });
  }
}
