package dev.streamfit.trainer;

import dev.streamfit.common.kafka.TopicsAdmin;
import dev.streamfit.engine.Natives;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.schemas.Split;
import dev.streamfit.trainer.internal.EvaluatorJobs;
import dev.streamfit.trainer.internal.Judge;
import dev.streamfit.trainer.internal.LabelAdmission;
import dev.streamfit.trainer.internal.ModelPublisher;
import dev.streamfit.trainer.internal.RollbackFollower;
import dev.streamfit.trainer.internal.SampleGate;
import dev.streamfit.trainer.internal.SampleRef;
import dev.streamfit.trainer.internal.SampleSource;
import dev.streamfit.trainer.internal.TeacherModel;
import dev.streamfit.trainer.internal.TrainerGauges;
import dev.streamfit.trainer.internal.TrainerState;
import dev.streamfit.trainer.internal.TrainingLoop;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer stage, a thin Kafka shell: a {@link SampleSource} feeds a {@link TrainingLoop} (shuffle buffer,
 * rehearsal, bounded validation/test windows); at each epoch end, every N steps, when input goes idle and every
 * publish interval while new data is trained (see {@link TrainerPolicy}) the loop hands a snapshot to the evaluator
 * thread, which judges it ({@link Judge}: candidate and champion on the same window, McNemar, drift), writes the
 * checkpoint (state by reference, weights, champion), draws {@value #LEARNING_CURVE}, and sends the version and the
 * evaluation through a {@link ModelPublisher} while training goes on: the evaluator takes half the cores while it runs,
 * one more snapshot may wait for it (so an epoch end need not stop training), and periodic evaluations keep it busy at
 * most half the time. On start it resumes from the newest readable
 * checkpoint, re-reads the held samples by reference and seeks to the offsets it recorded, so a record is trained into
 * the saved model once. Runs on its own thread; {@link #status()} is thread-safe; {@link #close()} stops it.
 */
public final class TrainerStage implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TrainerStage.class);
  /** File name of the learning curve, written next to the checkpoints. */
  public static final String LEARNING_CURVE = "learning-curve.png";
  private static final AvroSerde<AugmentedSample> SAMPLES = AvroSerde.of(AugmentedSample.class);
  /** Replay-only steps per consolidation round, and rounds at most while trained data waits to be served. */
  private static final int CONSOLIDATE_STEPS = 4;
  private static final int MAX_CONSOLIDATIONS = 15;

  private final TrainerConfig config;
  private final Thread thread;
  private final AtomicReference<TrainerStatus> status;
  private final ExecutorService evaluator;
  private final ModelPublisher publisher;
  private final TrainerGauges gauges;
  private final SampleGate gate;
  private volatile boolean running = true;
  // Confined to the trainer thread (the loop) and to the evaluator thread (the judge, through its jobs).
  private TrainingLoop loop;
  private Judge judge;
  /** Evaluator jobs not yet collected, oldest first: at most {@value #MAX_QUEUED} (each holds a snapshot's weights). */
  private final ArrayDeque<Future<EvaluatorJobs.Done>> jobs = new ArrayDeque<>();
  private static final int MAX_QUEUED = 2;
  private boolean stoppedEarly;
  private Path lastCheckpoint;
  private long evaluatedSamples;
  private long lastEvalNanos = System.nanoTime();
  private long lastCheckpointNanos = System.nanoTime();
  private long lastEvalDuration; // ns, of the last finished evaluation
  private TrainerState.Judgement judged; // as of the last finished evaluator job: what status shows
  private EvaluatorJobs evaluatorJobs;
  private final RollbackFollower rollbacks;
  private TrainerState.Pending resend;
  private String lastVerdict = "";
  /** Idle with nothing to do before new input (see {@link TrainerStatus#settled()}); written by the trainer thread. */
  private boolean settled;
  private int consolidations;


  private TrainerStage(TrainerConfig config, MeterRegistry registry) {
    this.config = config;
    this.status = new AtomicReference<>(new TrainerStatus(0, 0, 0, 0, Map.of(), null, null, 0, false, List.of(), false));
    this.thread = new Thread(this::runLoop, "streamfit-trainer");
    this.evaluator = Executors.newSingleThreadExecutor(r -> new Thread(r, "streamfit-trainer-evaluator"));
    this.publisher = new ModelPublisher(config);
    this.gauges = new TrainerGauges(registry, config.modelName());
    this.gate = new SampleGate(config);
    this.rollbacks = new RollbackFollower(config);
  }

  /** Creates missing topics, loads or builds the model, and starts consuming; meters go to a private registry. */
  public static TrainerStage start(TrainerConfig config) {
    return start(config, new SimpleMeterRegistry());
  }

  /**
   * Creates missing topics, loads or builds the model, and starts consuming; meters (progress, accuracy, drift per
   * label) go to {@code registry}.
   */
  public static TrainerStage start(TrainerConfig config, MeterRegistry registry) {
    Natives.load(); // before any thread of this stage starts
    TopicsAdmin.ensure(config.bootstrapServers(), config.topics(), Duration.ofSeconds(30));
    TeacherModel teacher = null;
    if (config.teacher() != null) {
      teacher = TeacherModel.load(config);
      // Provenance records the version taken, not "the newest".
      config = config.withTeacher(teacher.ref(), config.training().distillation(), config.sampleSize());
    }
    TrainerStage t;
    try {
      t = new TrainerStage(config, registry);
    } catch (RuntimeException e) {
      if (teacher != null) {
        teacher.close();
      }
      throw e;
    }
    try {
      t.restoreOrInit(teacher);
    } catch (RuntimeException e) {
      if (teacher != null && t.loop == null) {
        teacher.close();
      }
      t.evaluator.shutdownNow();
      t.publisher.close();
      throw e;
    }
    t.rollbacks.start();
    t.evaluatorJobs = new EvaluatorJobs(config, t.judge, t.publisher, t.gauges, config.checkpointDir().resolve(LEARNING_CURVE),
        t.rollbacks);
    t.publishStatus(null);
    t.thread.start();
    return t;
  }

  /** Latest progress snapshot; never null. */
  public TrainerStatus status() {
    return status.get();
  }

  private void restoreOrInit(TeacherModel teacher) {
    Startup.Begun b = Startup.begin(config, teacher);
    loop = b.loop();
    judge = b.judge();
    judged = b.judge().judgement();
    resend = b.resend();
    stoppedEarly = judged.stoppedEarly();
    lastCheckpoint = b.checkpoint();
    evaluatedSamples = loop.samplesTrained();
  }

  private void runLoop() {
    try (SampleSource source = SampleSource.open(config, loop.nextOffsets())) {
      resendPending();
      long lastRecordAt = System.currentTimeMillis();
      while (running) {
        collect(source, MAX_QUEUED);
        if (stoppedEarly) {
          Thread.sleep(200); // consume nothing more; stay up so that status and offsets remain visible
          continue;
        }
        long t0 = System.nanoTime();
        ConsumerRecords<String, byte[]> records = source.poll(Duration.ofMillis(200));
        gauges.phase("poll", System.nanoTime() - t0);
        for (ConsumerRecord<String, byte[]> r : records) {
          SampleRef ref = new SampleRef(r.topic(), r.partition(), r.offset());
          t0 = System.nanoTime();
          AugmentedSample s = decode(r, ref);
          gauges.phase("decode", System.nanoTime() - t0);
          if (s != null && loop.closesEpoch(s)) {
            // Epoch barrier: the first sample of a later epoch closes the current one. It is not yet consumed, so
            // the epoch-end snapshot's offsets stop just before it.
            evaluate(source, "epoch_end");
            if (stoppedEarly) {
              break;
            }
          }
          if (s != null) {
            loop.beginEpoch(s);
          }
          loop.consumed(ref, s);
          lastRecordAt = System.currentTimeMillis();
          consolidations = 0;
        }
        if (stoppedEarly) {
          continue;
        }
        loop.shareCores(!jobs.isEmpty());
        t0 = System.nanoTime();
        loop.trainReady();
        gauges.phase("train", System.nanoTime() - t0);
        publishStatus(null);
        TrainerPolicy p = config.policy();
        boolean idle = records.isEmpty() && System.currentTimeMillis() - lastRecordAt >= p.idleMs();
        // New train data, or (when idle) new validation samples on which the champion may have drifted.
        boolean work = loop.pending() > 0 || loop.stepsSinceEval() > 0 || (idle && loop.windowChangedSinceEval());
        // The periodic evaluation comes at most every publish interval, and at most every twice the last evaluation's
        // duration: the evaluator is busy at most half the time, whatever the window and the machine.
        boolean fresh = p.publishIntervalMs() > 0
            && System.nanoTime() - lastEvalNanos >= Math.max(p.publishIntervalMs() * 1_000_000L, 2 * lastEvalDuration);
        boolean busy = !jobs.isEmpty(); // running, queued, or done but not yet collected (then judged is stale)
        // Trained data that no served version has yet: a held "worse" candidate is consolidated (replay-only steps)
        // and judged again; one held only by the interval is judged again when the interval has passed.
        boolean unserved = !work && !busy && idle && judged.publishedSamples() < loop.samplesTrained();
        boolean consolidating = unserved && lastVerdict.equals("worse") && consolidations < MAX_CONSOLIDATIONS
            && loop.canRehearse();
        boolean awaitingInterval = unserved && !lastVerdict.equals("worse");
        boolean wasSettled = settled;
        settled = idle && !work && !busy && !consolidating && !awaitingInterval;
        if (settled != wasSettled) {
          publishStatus(null);
        }
        if (work && !busy && (idle || fresh || (p.evalEverySteps() > 0 && loop.stepsSinceEval() >= p.evalEverySteps()))) {
          evaluate(source, idle ? "idle" : fresh ? "publish_interval" : "every_steps");
        } else if (consolidating) {
          loop.rehearse(CONSOLIDATE_STEPS);
          consolidations++;
          evaluate(source, "consolidate");
        } else if (awaitingInterval && fresh) {
          evaluate(source, "publish_interval");
        } else if (!busy && checkpointDue(p)) {
          loop.drain();
          TrainingLoop.Snapshot snap = loop.snapshot(null);
          lastCheckpointNanos = System.nanoTime();
          jobs.add(evaluator.submit(() -> evaluatorJobs.checkpoint(snap)));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException | IOException | ExecutionException e) {
      LOG.error("trainer stopped", e);
      publishStatus(e.toString());
    } finally {
      evaluator.shutdown();
      try {
        evaluator.awaitTermination(120, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      rollbacks.close();
      loop.close(); // native memory back now, not at some finalizer
      judge.close();
      publisher.close();
    }
  }

  private boolean checkpointDue(TrainerPolicy p) {
    long steps = loop.stepsSinceCheckpoint();
    return steps > 0 && ((p.checkpointEverySteps() > 0 && steps >= p.checkpointEverySteps())
        || (p.checkpointEverySeconds() > 0 && System.nanoTime() - lastCheckpointNanos >= p.checkpointEverySeconds() * 1_000_000_000L));
  }

  /** Re-sends a version the checkpoint counted as published, unless it is the last record on {@code models}. */
  private void resendPending() {
    TrainerState.Judgement j = judge.judgement();
    if (resend == null) {
      return;
    }
    if (!publisher.lastModelKey().equals(config.modelName() + "@" + j.version())) {
      // The crash may have come before the send: same key, so the compacted topic keeps one, and serving ignores a
      // version it already has. The champion's weights are that version's.
      LOG.info("re-publishing v{} recorded as pending in the checkpoint", j.version());
      publisher.publish(judge.championBytes(), j.version(), resend.parent(), loop.progress(), resend.labelsAdded(),
          resend.metrics());
    }
    judge.sent();
    resend = null;
  }

  /**
   * Drains and hands the evaluator a snapshot to judge, checkpoint and publish; waits only while {@value #MAX_QUEUED}
   * jobs are queued already (an epoch end that comes while the previous evaluation runs does not stop training).
   */
  private void evaluate(SampleSource source, String trigger) throws InterruptedException, ExecutionException, IOException {
    long t0 = System.nanoTime();
    loop.drain();
    gauges.phase("train", System.nanoTime() - t0);
    t0 = System.nanoTime();
    collect(source, MAX_QUEUED - 1);
    lastEvalNanos = System.nanoTime();
    lastCheckpointNanos = lastEvalNanos;
    TrainingLoop.Snapshot snap = loop.snapshot(trigger);
    jobs.add(evaluator.submit(() -> evaluatorJobs.evaluate(snap)));
    gauges.phase("snapshot", System.nanoTime() - t0);
    if (trigger.equals("epoch_end") && config.policy().earlyStopPatience() > 0) {
      collect(source, 0); // early stopping decides at epoch ends before the next epoch trains
    }
  }

  /** Applies finished evaluator jobs, in order, waiting for the oldest while more than {@code atMost} remain. */
  private void collect(SampleSource source, int atMost) throws InterruptedException, ExecutionException {
    while (!jobs.isEmpty() && (jobs.peek().isDone() || jobs.size() > atMost)) {
      apply(source, jobs.poll().get());
    }
  }

  /** A finished evaluator job: status, early stop, offsets for lag. */
  private void apply(SampleSource source, EvaluatorJobs.Done d) {
    lastCheckpoint = d.checkpoint();
    if (d.verdict() != null) {
      judged = d.state().judgement();
      lastEvalDuration = d.nanos();
      gauges.evaluation(d.nanos());
      lastVerdict = d.verdict().decision().verdict();
      stoppedEarly = d.state().judgement().stoppedEarly();
      evaluatedSamples = d.state().progress().samplesTrained();
      source.commit(d.state().progress().nextOffsets());
      if (stoppedEarly) {
        LOG.info("early stopping: no better validation accuracy in {} evaluations (best {}); training ends, champion v{}",
            config.policy().earlyStopPatience(), d.state().judgement().bestVal(), d.state().judgement().version());
      }
    }
    publishStatus(null);
  }

  /** The record's sample if it is one to learn from or evaluate on; null (after a rejection if bad) otherwise. */
  private AugmentedSample decode(ConsumerRecord<String, byte[]> r, SampleRef ref) {
    AugmentedSample s;
    try {
      s = SAMPLES.decode(r.value());
      if (s == null) {
        throw new SerializationException("tombstone");
      }
    } catch (RuntimeException e) {
      publisher.reject(ref, r.key(), RejectReason.MALFORMED_RECORD, e.getMessage());
      return null;
    }
    switch (gate.check(s)) {
      case SKIP -> {
        return null;
      }
      case REFUSE -> {
        publisher.reject(ref, r.key(), RejectReason.BAD_SHAPE, gate.reason());
        return null;
      }
      default -> { }
    }
    if (s.getSplit() == Split.UNLABELED) {
      return null; // nothing to learn from; not an error
    }
    if (loop.admit(s.getLabel()) instanceof LabelAdmission.Refused no) {
      publisher.reject(ref, r.key(), no.reason(), no.message());
      return null;
    }
    return s;
  }

  private void publishStatus(String failure) {
    TrainerState.Judgement j = judged;
    status.set(new TrainerStatus(loop.step(), loop.samplesTrained(), loop.validationSize(), j.version(),
        evaluatorJobs == null ? Map.of() : evaluatorJobs.lastPublished(),
        lastCheckpoint, failure, evaluatedSamples, stoppedEarly, j.history(), settled || stoppedEarly));
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join(120_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
