package dev.streamfit.pipeline;

import dev.streamfit.augment.AugmentStage;
import dev.streamfit.broker.EmbeddedKafkaBroker;
import dev.streamfit.common.kafka.TopicsAdmin;
import dev.streamfit.engine.Natives;
import dev.streamfit.features.FeaturesStage;
import dev.streamfit.ingest.IngestConfig;
import dev.streamfit.ingest.IngestStage;
import dev.streamfit.ingest.IngestSummary;
import dev.streamfit.schemas.Topics;
import dev.streamfit.serving.ActiveModel;
import dev.streamfit.serving.ServingConfig;
import dev.streamfit.serving.ServingStage;
import dev.streamfit.trainer.TrainerConfig;
import dev.streamfit.trainer.TrainerStage;
import dev.streamfit.trainer.TrainerStatus;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.slf4j.LoggerFactory;

/**
 * Every stage in one JVM (the default run): an embedded broker unless a cluster is given, then
 * serving, trainer and augment, each talking to the others only through Kafka topics.
 * Not thread-safe; {@link #close()} stops everything in reverse order.
 */
public final class Pipeline implements AutoCloseable {
  /** What a run produced; {@code served} is the champion (stable, or the candidate of a canary or shadow rollout). */
  public record Result(IngestSummary ingest, int processedImages, int rejectedImages, Map<String, Long> rejectReasons,
      long trainSamples, TrainerStatus trainer, ActiveModel served, double wallSeconds) {}

  private final EmbeddedKafkaBroker broker;
  private final String bootstrap;
  private final Topics topics;
  private final ServingStage serving;
  private final TrainerStage trainer;
  private final AugmentStage augment;
  private final FeaturesStage features; // null when the trainer reads pixels
  private final PipelineWatcher watcher;
  /** What ingest accepts: the trainer's labels, or any label when the trainer adds new ones (empty). */
  private final List<String> ingestLabels;
  private final int epochs;

  private Pipeline(EmbeddedKafkaBroker broker, String bootstrap, Topics topics, ServingStage serving,
      TrainerStage trainer, AugmentStage augment, FeaturesStage features, PipelineWatcher watcher, List<String> ingestLabels,
      int epochs) {
    this.ingestLabels = ingestLabels;
    this.epochs = epochs;
    this.broker = broker;
    this.bootstrap = bootstrap;
    this.topics = topics;
    this.serving = serving;
    this.trainer = trainer;
    this.augment = augment;
    this.features = features;
    this.watcher = watcher;
  }

  /**
   * Starts the stages for {@code data} (its label set and model name); {@code bootstrapOrNull == null}
   * starts an embedded broker first.
   */
  public static Pipeline start(String bootstrapOrNull, Topics topics, StageOptions o, ServingOptions s, Path runDir,
      Dataset data) {
    EmbeddedKafkaBroker broker = null;
    ServingStage serving = null;
    TrainerStage trainer = null;
    AugmentStage augment = null;
    FeaturesStage features = null;
    // Validate every stage's config before starting anything (errors name key, bound, value, flag).
    Configs.serving("validate:0", topics, s);
    Configs.augment("validate:0", topics, o.common, o.augment, runDir.resolve("kafka-streams"), s.decode.limits());
    o.trainer.featuresStageRuns = true; // the pipeline runs it when the trainer reads features
    TrainerConfig trainerConfig = Configs.trainer("validate:0", topics, o.common, o.trainer, runDir.resolve("checkpoints"),
        data.modelName(), data.labels(), o.augment.epochs == 1);
    boolean viaFeatures = trainerConfig.input() == TrainerConfig.Input.FEATURES;
    // Every native library once, on this thread, before the broker's and the stages' threads start.
    Natives.load();
    try {
      if (bootstrapOrNull == null) {
        broker = EmbeddedKafkaBroker.start();
      }
      String bootstrap = broker != null ? broker.bootstrapServers() : bootstrapOrNull;
      TopicsAdmin.ensure(bootstrap, topics, Duration.ofSeconds(30));
      serving = ServingStage.start(Configs.serving(bootstrap, topics, s));
      trainer = TrainerStage.start(Configs.trainer(bootstrap, topics, o.common, o.trainer, runDir.resolve("checkpoints"),
          data.modelName(), data.labels(), o.augment.epochs == 1), serving.meterRegistry());
      ServingConfig sc = serving.config();
      int cores = Runtime.getRuntime().availableProcessors();
      LoggerFactory.getLogger(Pipeline.class).info("thread plan: {} cores; OpenMP wait policy {}; augment 2 stream"
          + " threads (OpenCV 1 thread); {}trainer OpenMP threads per batch up to {} ({} while evaluating); serving {}"
          + " inference workers x 1 OpenMP thread", cores, System.getenv().getOrDefault("OMP_WAIT_POLICY", "OpenMP's default"),
          viaFeatures ? "features " + o.features.threads() + " stream threads x 1 OpenMP thread; " : "", cores,
          Math.max(1, cores - cores / 2), sc.inferenceWorkers());
      if (viaFeatures) {
        features = FeaturesStage.start(Configs.features(bootstrap, topics, trainerConfig.prefix(), o.features,
            runDir.resolve("kafka-streams"), ""), serving.meterRegistry());
      }
      augment = AugmentStage.start(Configs.augment(bootstrap, topics, o.common, o.augment, runDir.resolve("kafka-streams"),
          s.decode.limits()));
      PipelineWatcher watcher = new PipelineWatcher(bootstrap, topics);
      return new Pipeline(broker, bootstrap, topics, serving, trainer, augment, features, watcher,
          o.trainer.growLabels ? List.of() : data.labels(), o.augment.epochs);
    } catch (RuntimeException e) {
      Shutdown.closeAll(augment, features, trainer, serving, broker);
      throw e;
    }
  }

  public String bootstrapServers() {
    return bootstrap;
  }

  public int port() {
    return serving.port();
  }

  /**
   * Ingests {@code data} and waits until every image is augmented or rejected, the trainer has trained
   * on every train sample, and serving answers with a version that includes them. May be called again with more
   * data (each call waits for its own images).
   */
  public Result ingestAndAwait(Path data, Duration timeout, PrintStream progress) throws InterruptedException, TimeoutException {
    long t0 = System.nanoTime();
    int processedBefore = watcher.processedImages();
    long trainImagesBefore = watcher.trainImages();
    long trainSamplesBefore = watcher.trainSamples();
    // The trainer's label set: an image of another class is refused at the edge, not deep in the trainer.
    IngestSummary ingest = new IngestStage(IngestConfig.of(bootstrap, topics, data)
        .withLabels(ingestLabels, false).withDecodeLimits(serving.config().limits())).run(null);
    progress.printf(Locale.ROOT, "ingest   %d images (%.1f MB) → %s in %.1f s, per split %s; %d already published;"
        + " %d refused %s%n", ingest.published(), ingest.bytes() / 1e6, topics.raw(), ingest.seconds(), ingest.perSplit(),
        ingest.duplicates(), ingest.rejected(), ingest.rejectedByReason());
    long deadline = System.nanoTime() + timeout.toNanos();
    long lastPrint = 0;
    while (true) {
      TrainerStatus ts = trainer.status();
      if (ts.failure() != null) {
        throw new IllegalStateException("trainer failed: " + ts.failure());
      }
      ActiveModel served = serving.active();
      // refused at the edge: on images.rejected too
      // Every image through pass 0, and every train image's later epochs too (pass e starts only once pass e-1 has
      // caught up: until then the trainer can look done after fewer epochs).
      boolean augmented = watcher.processedImages() - processedBefore >= ingest.published() + ingest.rejected()
          && watcher.trainSamples() - trainSamplesBefore >= (watcher.trainImages() - trainImagesBefore) * epochs;
      long expected = watcher.trainSamples();
      // Done when every train sample is trained and evaluated (or early stopping ended training) and serving
      // answers with the champion: the last published version, which need not be the last evaluated model.
      // And settled: a candidate it held (for the publish interval, or as worse until rehearsed) would be judged
      // again and might replace what this run reports.
      boolean trained = augmented && expected > 0 && ts.settled()
          && ((ts.samplesTrained() >= expected && ts.evaluatedSamples() >= expected) || ts.stoppedEarly());
      // Under a canary or shadow rollout the champion is live once it is the candidate: judging it needs traffic.
      ActiveModel candidate = serving.candidate();
      boolean live = trained && ts.lastVersion() > 0 && served != null && (served.version() == ts.lastVersion()
          || (candidate != null && candidate.version() == ts.lastVersion()));
      if (System.nanoTime() - lastPrint > 5_000_000_000L || live) {
        lastPrint = System.nanoTime();
        progress.printf(Locale.ROOT, "progress augmented %d/%d images (%d rejected) | trained %d/%d samples, step %d | serving %s (%.0f s)%n",
            watcher.processedImages(), ingest.published(), watcher.rejectedImages(), ts.samplesTrained(), expected,
            ts.steps(), served == null ? "no model yet" : "v" + served.version()
                + (candidate == null ? "" : " (v" + candidate.version() + " " + serving.config().rollout().mode().code() + ")"),
            (System.nanoTime() - t0) / 1e9);
      }
      if (live) {
        ActiveModel champion = served.version() == ts.lastVersion() ? served : candidate;
        return new Result(ingest, watcher.processedImages(), watcher.rejectedImages(), watcher.rejectReasons(),
            expected, ts, champion, (System.nanoTime() - t0) / 1e9);
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("pipeline did not finish within " + timeout + " (augmented "
            + watcher.processedImages() + "/" + ingest.published() + ", trained " + ts.samplesTrained() + "/" + expected
            + "); give it longer with --timeout, or less to do with --epochs or a smaller --data");
      }
      Thread.sleep(250);
    }
  }

  /** Ingests {@code data} (split/class/image folders) without waiting for training; returns the ingest summary. */
  public IngestSummary ingest(Path data) {
    return new IngestStage(IngestConfig.of(bootstrap, topics, data).withLabels(ingestLabels, false)
        .withDecodeLimits(serving.config().limits())).run(null);
  }

  /** The serving stage (its stable version, rollout and figures). */
  public ServingStage serving() {
    return serving;
  }

  /** The version serving answers with now, null before the first. */
  public ActiveModel served() {
    return serving.active();
  }

  public TrainerStatus trainerStatus() {
    return trainer.status();
  }

  /** The topic the trainer reads: images.augmented, or images.features when a features stage runs. */
  public String trainerInputTopic() {
    return features != null ? topics.features() : topics.augmented();
  }

  public Topics topics() {
    return topics;
  }

  /** POSTs {@code image} to this pipeline's {@code /v1/predict}; returns status and body. */
  public HttpResponse<String> predict(Path image) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + "/v1/predict"))
        .header("Content-Type", "image/jpeg").POST(HttpRequest.BodyPublishers.ofFile(image)).build();
    return http.send(req, HttpResponse.BodyHandlers.ofString());
  }

  public PipelineWatcher watcher() {
    return watcher;
  }

  @Override
  public void close() {
    Shutdown.closeAll(watcher, augment, features, trainer, serving, broker);
  }
}
