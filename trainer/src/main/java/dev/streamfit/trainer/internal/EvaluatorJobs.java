package dev.streamfit.trainer.internal;

import dev.streamfit.trainer.EvalPoint;
import dev.streamfit.trainer.TrainerConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the trainer's evaluator thread does with a {@link TrainingLoop.Snapshot}: judge it, write the checkpoint (the
 * snapshot's progress with the judge's state), redraw the learning curve, publish the version and the evaluation,
 * update the meters; or only checkpoint. Confined to the evaluator thread (one at a time, in submission order), but
 * {@link #lastPublished()}, which any thread may read.
 */
public final class EvaluatorJobs {
  private static final Logger LOG = LoggerFactory.getLogger("dev.streamfit.trainer.TrainerStage");

  /**
   * What a job did.
   *
   * @param verdict the evaluation (null for a checkpoint only)
   * @param state the state checkpointed (null for a checkpoint only)
   * @param checkpoint the checkpoint written
   * @param nanos how long the job took
   */
  public record Done(Judge.Verdict verdict, TrainerState state, Path checkpoint, long nanos) {}

  private final TrainerConfig config;
  private final Judge judge;
  private final ModelPublisher publisher;
  private final TrainerGauges gauges;
  private final Path curve;
  private volatile Map<String, Double> lastPublished = Map.of();
  private final RollbackFollower rollbacks;

  public EvaluatorJobs(TrainerConfig config, Judge judge, ModelPublisher publisher, TrainerGauges gauges, Path curve,
      RollbackFollower rollbacks) {
    this.rollbacks = rollbacks;
    this.config = config;
    this.judge = judge;
    this.publisher = publisher;
    this.gauges = gauges;
    this.curve = curve;
  }

  /** Metrics of the last version published by this trainer process (empty if none). Thread-safe. */
  public Map<String, Double> lastPublished() {
    return lastPublished;
  }

  /** Writes the snapshot with the judge's current state. */
  public Done checkpoint(TrainingLoop.Snapshot snap) throws IOException {
    return new Done(null, null, write(snap, false), 0);
  }

  /** Judges, checkpoints, draws the curve, publishes the version (if any) and the evaluation. */
  public Done evaluate(TrainingLoop.Snapshot snap) throws IOException {
    long t0 = System.nanoTime();
    rollbacks.drainInto(judge);
    Judge.Verdict v = judge.judge(snap, System.nanoTime());
    long tJudged = System.nanoTime();
    Path ck = write(snap, v.best());
    long tCheckpointed = System.nanoTime();
    drawCurve();
    if (v.published() != null) {
      publisher.publish(v.published(), v.version(), v.parent(), snap.progress(), v.labelsAdded(), v.metrics());
      judge.sent();
      lastPublished = v.metrics();
    }
    publisher.metrics(v, snap.progress());
    gauges.update(v, snap.progress(), judge.judgement().version());
    if (!v.drift().isEmpty()) {
      LOG.warn("drift: the served v{} fell on {}", judge.judgement().version(), v.drift());
    }
    EvalPoint pt = v.point();
    LOG.info(String.format(Locale.ROOT,
        "%s epoch %d step %d: train loss %.4f acc %.4f | val loss %.4f acc %.4f (%d) | champion %.4f%s | lr %.2e | %s"
            + " (evaluate %d ms, checkpoint %d ms, total %d ms, beside training)",
        pt.trigger(), pt.epoch() + 1, pt.step(), pt.trainLoss(), pt.trainAccuracy(), pt.valLoss(), pt.valAccuracy(),
        snap.validation().size(), v.championAccuracy(), v.championRescored() ? " (re-scored)" : "", pt.learningRate(),
        v.published() != null ? "published v" + v.version() + " (" + v.decision().verdict() + ")"
            : "not published (" + v.decision().verdict() + ", p " + String.format(Locale.ROOT, "%.3f", v.decision().pValue()) + ")",
        (tJudged - t0) / 1_000_000, (tCheckpointed - tJudged) / 1_000_000, (System.nanoTime() - t0) / 1_000_000));
    return new Done(v, new TrainerState(snap.progress(), judge.judgement()), ck, System.nanoTime() - t0);
  }

  private Path write(TrainingLoop.Snapshot snap, boolean best) throws IOException {
    return new Checkpoint(new TrainerState(snap.progress(), judge.judgement()), snap.model(), judge.championBytes())
        .write(config.checkpointDir(), config.policy().keepCheckpoints(), best);
  }

  private void drawCurve() {
    try {
      String tuned = config.training().trainableBlocks() == 0 ? "frozen"
          : "top " + config.training().trainableBlocks() + " blocks at " + config.training().baseLearningRate();
      LearningCurve.write(judge.judgement().history(), config.modelName() + " — " + config.base().id() + " (" + tuned
          + "), " + config.training().describeOptimizer() + ", " + config.schedule().describe(),
          curve);
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot draw the learning curve: {}", e.toString());
    }
  }
}
