package dev.streamfit.trainer.internal;

import dev.streamfit.engine.Classifier;
import dev.streamfit.engine.InputContract;
import dev.streamfit.trainer.EvalPoint;
import dev.streamfit.trainer.TrainerConfig;
import dev.streamfit.trainer.TrainerPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The evaluator: scores a {@link TrainingLoop.Snapshot}'s weights on its validation window, re-scores the champion
 * (the last published version) on the same window whenever the window changed since it was last scored, decides with
 * {@link Promotion}, flags {@link Drift}, tracks the best validation accuracy for early stopping, and keeps the
 * {@link TrainerState.Judgement}. No Kafka, no files: the caller checkpoints and publishes what it returns. Not
 * thread-safe: one thread (the trainer's evaluator) drives it. Closes the champion.
 */
public final class Judge implements AutoCloseable {
  /** Drift needs this many samples of a label in the window. */
  public static final int DRIFT_MIN_SAMPLES = 10;
  /**
   * Native threads of the evaluator's forward passes: half the cores (at least one), the training thread taking the
   * other half while an evaluation runs ({@link TrainingLoop#shareCores}). On 2 cores, evaluation and training each
   * with both cores' OpenMP threads spun against each other: evaluations of the full clothing run took 43–93 s.
   */
  public static final int EVALUATOR_THREADS = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

  /**
   * One evaluation's outcome.
   *
   * @param decision the promotion decision
   * @param version the version published from it, 0 if none
   * @param parent the version it replaces (when published)
   * @param metrics train/val (and, when published, test) metrics
   * @param perClassVal the candidate's per-label validation accuracy
   * @param championAccuracy the champion's accuracy on this window (NaN: no champion or no window)
   * @param championRescored the champion was scored anew because the window changed
   * @param windowGeneration the validation window's generation
   * @param drift labels on which the champion fell by more than the drift threshold
   * @param point the point added to the history
   * @param best a new best validation accuracy
   * @param published the published weights (no updater), null if not published
   * @param labelsAdded labels new since the previous published version (when published)
   */
  public record Verdict(Promotion.Decision decision, long version, long parent, Map<String, Double> metrics,
      Map<String, Double> perClassVal, double championAccuracy, boolean championRescored, long windowGeneration,
      List<Drift.Drop> drift, EvalPoint point, boolean best, byte[] published, List<String> labelsAdded) {}

  private final TrainerConfig config;
  private final InputContract contract;
  private volatile TrainerState.Judgement judgement; // read by the trainer thread (resend, status)
  private static final Logger LOG = LoggerFactory.getLogger("dev.streamfit.trainer.TrainerStage");
  private Classifier champion;
  private byte[] championBytes;
  private Score championScore;
  private long championGeneration = -1;
  private long lastPublishNanos;

  /** A judge resuming {@code judgement}, with the champion's weights ({@code championBytes}; empty: none). */
  public Judge(TrainerConfig config, TrainerState.Judgement judgement, byte[] championBytes, long nowNanos) {
    this.config = config;
    this.contract = InputContract.square(config.imageSize());
    this.judgement = judgement;
    this.lastPublishNanos = nowNanos;
    this.championBytes = championBytes.length == 0 ? new byte[0] : championBytes;
    if (championBytes.length > 0) {
      try {
        champion = Classifier.fromBytes(championBytes, false, contract);
        champion.setNativeThreads(EVALUATOR_THREADS);
      } catch (IOException e) {
        throw new UncheckedIOException("the checkpoint's champion does not load: " + e.getMessage(), e);
      }
    }
  }

  /** Judges {@code s} at {@code nowNanos} (the publish interval's clock). */
  public Verdict judge(TrainingLoop.Snapshot s, long nowNanos) {
    TrainerPolicy policy = config.policy();
    List<String> labels = s.progress().labels();
    TrainerState.Judgement j = judgement;
    if (champion != null && champion.classes() != labels.size()) {
      // A label was added: scores on other classes are not comparable; the next evaluation publishes.
      forgetChampion();
      j = new TrainerState.Judgement(j.version(), j.publishedLabels(), j.publishedSamples(), Double.NaN, 0,
          j.stoppedEarly(), Map.of(), j.pending(), j.history());
    }
    Classifier candidate;
    try {
      candidate = Classifier.fromBytes(s.model(), false, contract);
      candidate.setNativeThreads(EVALUATOR_THREADS);
    } catch (IOException e) {
      throw new UncheckedIOException("snapshot weights do not load: " + e.getMessage(), e);
    }
    try {
      Map<String, Double> metrics = new TreeMap<>();
      Score val = Score.of(candidate, s.validation(), labels);
      if (val.count() > 0) {
        metrics.put("val.accuracy", val.accuracy());
        metrics.put("val.loss", val.loss());
        metrics.put("val.count", (double) val.count());
      }
      if (!s.trainSample().isEmpty()) {
        metrics.put("train.accuracy", Score.of(candidate, s.trainSample(), labels).accuracy());
      }
      if (Double.isFinite(s.trainLoss())) {
        metrics.put("train.loss", s.trainLoss());
      }
      metrics.put("train.samples", (double) s.progress().samplesTrained());
      metrics.put("train.steps", (double) s.progress().step());
      boolean rescored = false;
      if (champion != null && (championScore == null || championGeneration != s.validationGeneration()
          || championScore.count() != val.count())) {
        championScore = Score.of(champion, s.validation(), labels);
        championGeneration = s.validationGeneration();
        rescored = true;
      }
      Score champ = champion == null ? null : championScore;
      boolean newData = s.progress().samplesTrained() > j.publishedSamples();
      boolean intervalElapsed = policy.publishIntervalMs() > 0
          && nowNanos - lastPublishNanos >= policy.publishIntervalMs() * 1_000_000L;
      Promotion.Decision d = j.stoppedEarly() // a snapshot queued before early stopping was decided
          ? new Promotion.Decision("stopped", false, Double.NaN, 0, 0)
          : Promotion.decide(val, champ, policy.publishMargin(), policy.significance(), newData, intervalElapsed);
      if (champ != null && champ.count() > 0) {
        metrics.put("champion.val.accuracy", champ.accuracy());
      }
      if (Double.isFinite(d.pValue())) {
        metrics.put("promotion.p_value", d.pValue());
      }
      List<Drift.Drop> drift = champ == null ? List.of()
          : Drift.drops(j.championPerClass(), champ, policy.driftThreshold(), DRIFT_MIN_SAMPLES);
      double acc = val.accuracy();
      boolean best = Double.isFinite(acc) && (Double.isNaN(j.bestVal()) || acc > j.bestVal());
      double bestVal = best ? acc : j.bestVal();
      int sinceBest = best ? 0 : Double.isFinite(acc) ? j.evalsSinceBest() + 1 : j.evalsSinceBest();
      boolean stopped = j.stoppedEarly() || (policy.earlyStopPatience() > 0 && sinceBest >= policy.earlyStopPatience());
      long version = 0;
      long parent = j.version();
      byte[] published = null;
      List<String> added = List.of();
      long publishedSamples = j.publishedSamples();
      int publishedLabels = j.publishedLabels();
      Map<String, Double> reference = j.championPerClass();
      TrainerState.Pending pending = j.pending();
      double championAccuracy = champ == null ? Double.NaN : champ.accuracy();
      if (d.publish()) {
        Score test = Score.of(candidate, s.test(), labels);
        if (test.count() > 0) {
          metrics.put("test.accuracy", test.accuracy());
          metrics.put("test.loss", test.loss());
          metrics.put("test.count", (double) test.count());
        }
        version = j.version() + 1;
        published = candidate.toBytes(false);
        added = List.copyOf(labels.subList(Math.min(publishedLabels, labels.size()), labels.size()));
        forgetChampion();
        champion = candidate;
        candidate = null;
        championBytes = published;
        championScore = val;
        championGeneration = s.validationGeneration();
        publishedSamples = s.progress().samplesTrained();
        publishedLabels = labels.size();
        reference = reliable(val);
        pending = new TrainerState.Pending(parent, metrics, added);
        lastPublishNanos = nowNanos;
      }
      EvalPoint point = new EvalPoint(s.progress().step(), s.progress().epoch(), s.trigger(), s.learningRate(),
          metrics.getOrDefault("train.loss", Double.NaN), metrics.getOrDefault("train.accuracy", Double.NaN),
          metrics.getOrDefault("val.loss", Double.NaN), acc, metrics.getOrDefault("test.accuracy", Double.NaN), version);
      List<EvalPoint> history = new ArrayList<>(j.history());
      history.add(point);
      judgement = new TrainerState.Judgement(d.publish() ? version : j.version(), publishedLabels, publishedSamples,
          bestVal, sinceBest, stopped, reference, pending, history);
      return new Verdict(d, version, parent, Map.copyOf(metrics), val.perClass(), championAccuracy, rescored,
          s.validationGeneration(), drift, point, best, published, added);
    } finally {
      if (candidate != null) {
        candidate.close();
      }
    }
  }

  /** Per-label accuracy of labels with at least {@link #DRIFT_MIN_SAMPLES} samples: a reference that is not noise. */
  private static Map<String, Double> reliable(Score s) {
    Map<String, Integer> counts = s.perClassCount();
    Map<String, Double> out = new TreeMap<>();
    s.perClass().forEach((label, acc) -> {
      if (counts.getOrDefault(label, 0) >= DRIFT_MIN_SAMPLES) {
        out.put(label, acc);
      }
    });
    return out;
  }

  /**
   * Serving rolled a version back on live feedback. When it is the champion, the restored version's weights become
   * the champion (scored anew on the next window; no drift reference until it is), so candidates are held to the
   * version that serves, not to the one live traffic found worse. Versions keep counting up.
   */
  public void rolledBack(RollbackFollower.Rollback r) {
    TrainerState.Judgement j = judgement;
    if (j.version() != r.rolledBack()) {
      return; // the champion is another version (a later one, or this trainer never published it)
    }
    Classifier restored;
    try {
      restored = Classifier.fromBytes(r.model(), false, contract);
    } catch (IOException | RuntimeException e) {
      LOG.warn("serving rolled v{} back to v{}, whose weights do not load here ({}); the champion is dropped",
          r.rolledBack(), r.restored(), e.toString());
      forgetChampion();
      return;
    }
    forgetChampion();
    restored.setNativeThreads(EVALUATOR_THREADS);
    champion = restored;
    championBytes = r.model();
    judgement = new TrainerState.Judgement(j.version(), j.publishedLabels(), j.publishedSamples(), j.bestVal(),
        j.evalsSinceBest(), j.stoppedEarly(), Map.of(), j.pending(), j.history());
    LOG.warn("serving rolled v{} back to v{} ({}); v{} is the champion candidates must beat now", r.rolledBack(),
        r.restored(), r.reason(), r.restored());
  }

  /** The pending version was sent: later checkpoints no longer re-send it. */
  public void sent() {
    TrainerState.Judgement j = judgement;
    judgement = new TrainerState.Judgement(j.version(), j.publishedLabels(), j.publishedSamples(), j.bestVal(),
        j.evalsSinceBest(), j.stoppedEarly(), j.championPerClass(), null, j.history());
  }

  public TrainerState.Judgement judgement() {
    return judgement;
  }

  /** The champion's weights without updater (empty: none). */
  public byte[] championBytes() {
    return championBytes;
  }

  private void forgetChampion() {
    if (champion != null) {
      champion.close();
    }
    champion = null;
    championScore = null;
    championGeneration = -1;
    championBytes = new byte[0];
  }

  @Override
  public void close() {
    forgetChampion();
  }
}
