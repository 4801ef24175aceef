package dev.streamfit.serving;

import dev.streamfit.common.kafka.TopicsAdmin;
import dev.streamfit.engine.Natives;
import dev.streamfit.imaging.ImageDecoder;
import dev.streamfit.serving.internal.FeedbackDesk;
import dev.streamfit.serving.internal.FeedbackLoop;
import dev.streamfit.serving.internal.HttpApi;
import dev.streamfit.serving.internal.InferenceQueue;
import dev.streamfit.serving.internal.ModelHandle;
import dev.streamfit.serving.internal.ModelRegistry;
import dev.streamfit.serving.internal.ModelVerifier;
import dev.streamfit.serving.internal.PredictService;
import dev.streamfit.serving.internal.PredictionLog;
import dev.streamfit.serving.internal.RateLimiter;
import dev.streamfit.serving.internal.RecentPredictions;
import dev.streamfit.serving.internal.ServingMetrics;
import dev.streamfit.serving.internal.TopicInference;
import dev.streamfit.serving.internal.TrainingFeed;
import dev.streamfit.serving.internal.VersionStats;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving stage: recovers the champion from {@code models}, verifies and hot-swaps each newer version,
 * answers HTTP ({@code /v1/predict}, {@code /v1/predict:batch}, {@code /v1/models}, the web page at
 * {@code /}, {@code /metrics}, {@code /healthz}, {@code /readyz}; see {@code /openapi.json}) and, if
 * configured, {@code inference.requests} → {@code inference.results}. Concurrent predictions share forward
 * passes (micro-batching). New versions roll out as {@link ServingConfig#rollout()} says (immediate, canary,
 * shadow); feedback ({@code POST /v1/feedback}, topic {@code feedback}) drives each version's live accuracy, sends
 * corrected images to {@code images.raw} and rolls a worse stable version back ({@code model.events}). Thread-safe;
 * {@link #close} stops everything it started.
 */
public final class ServingStage implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServingStage.class);
  private final ServingConfig config;
  private final InferenceQueue queue;
  private final ModelRegistry registry;
  private final TrainingFeed training;
  private final HttpApi http;
  private final TopicInference inference;
  private final Map<String, ModelRegistry> more;
  private final MeterRegistry meters;
  private final FeedbackLoop feedback;

  private ServingStage(ServingConfig config, InferenceQueue queue, ModelRegistry registry, Map<String, ModelRegistry> more,
      TrainingFeed training, HttpApi http, TopicInference inference, MeterRegistry meters,
      FeedbackLoop feedback) {
    this.meters = meters;
    this.feedback = feedback;
    this.config = config;
    this.more = more;
    this.queue = queue;
    this.registry = registry;
    this.training = training;
    this.http = http;
    this.inference = inference;
  }

  /**
   * The registry scraped at this server's {@code GET /metrics}; a stage in the same process (the default run's trainer)
   * may register its meters here so that one scrape shows them all. Thread-safe.
   */
  public MeterRegistry meterRegistry() {
    return meters;
  }

  /** Creates missing topics, starts following models and metrics, listening, and topic inference. */
  public static ServingStage start(ServingConfig config) {
    Natives.load(); // before any thread of this stage starts
    TopicsAdmin.ensure(config.bootstrapServers(), config.topics(), Duration.ofSeconds(30));
    ServingMetrics metrics = new ServingMetrics();
    ImageDecoder decoder = new ImageDecoder(config.limits());
    InferenceQueue queue = new InferenceQueue(config.maxBatch(), config.batchLinger(), config.inferenceWorkers(), metrics);
    FeedbackPolicy fp = config.feedback();
    PredictionLog log = new PredictionLog(fp.remembered(), fp.imageBytes(), fp.retention());
    FeedbackLoop feedback = new FeedbackLoop(config, new FeedbackDesk(log,
        new RateLimiter(fp.perClientPerSecond(), fp.burst(), 10_000)), metrics);
    ModelRegistry registry = new ModelRegistry(config, new ModelVerifier(decoder, queue), metrics, feedback::event);
    PredictService service = new PredictService(registry, queue, decoder, log, metrics, null);
    feedback.follow(registry);
    // Further models: a registry each (its own follower of `models`), sharing the decoder, batcher and workers.
    Map<String, ModelRegistry> more = new LinkedHashMap<>();
    Map<String, PredictService> moreServices = new LinkedHashMap<>();
    for (String name : config.moreModels()) {
      ModelRegistry r = new ModelRegistry(config.withMoreModels(List.of()).withModelName(name),
          new ModelVerifier(decoder, queue), metrics.forModel(name), feedback::event);
      more.put(name, r);
      moreServices.put(name, new PredictService(r, queue, decoder, log, metrics, name));
      feedback.follow(r);
    }
    RecentPredictions recent = new RecentPredictions(config.recentPredictions());
    TrainingFeed training = new TrainingFeed(config.bootstrapServers(), config.topics().trainingMetrics());
    HttpApi http;
    try {
      http = new HttpApi(config, service, moreServices, training, recent, metrics, feedback);
      http.start();
    } catch (IOException e) {
      queue.close();
      feedback.close();
      throw new UncheckedIOException("cannot listen on " + config.host() + ":" + config.port()
          + " (port in use? set --port)", e);
    }
    TopicInference inference = config.topicInference() ? new TopicInference(config, service, moreServices, metrics, recent) : null;
    registry.start();
    more.values().forEach(ModelRegistry::start);
    training.start();
    feedback.start();
    if (inference != null) {
      inference.start();
    }
    LOG.info("serving on http://{}:{}/ (models {} from {}{})", config.host(), http.port(),
        config.modelName() == null ? "(the first on the topic)" : config.servedModels(), config.topics().models(),
        inference == null ? "" : "; answering " + config.topics().inferenceRequests() + " on " + config.topics().inferenceResults());
    return new ServingStage(config, queue, registry, more, training, http, inference, metrics.registry(), feedback);
  }

  /** The bound HTTP port. */
  public int port() {
    return http.port();
  }

  /**
   * The HTTP routes served, as {@code "METHOD /path"} ({@code "METHOD /prefix/*"} where one handler takes every path
   * under a prefix): what {@code /openapi.json} describes.
   */
  public List<String> routes() {
    return http.routes();
  }

  /** The active model (metadata and predictor; do not close it), or null before one is active. */
  public ActiveModel active() {
    ModelHandle h = registry.peek();
    return h == null ? null : h.model();
  }

  /** The default model's candidate (a canary or shadow being judged; do not close it), or null. */
  public ActiveModel candidate() {
    ModelHandle h = registry.deployment().candidate();
    return h == null ? null : h.model();
  }

  /** The active version of model {@code name} (one of {@link ServingConfig#servedModels}), or null. */
  public ActiveModel active(String name) {
    ModelRegistry r = name.equals(registry.modelName()) ? registry : more.get(name);
    ModelHandle h = r == null ? null : r.peek();
    return h == null ? null : h.model();
  }

  /** Live figures of {@code version} of the default model (requests, errors, feedback, agreement), or null. */
  public VersionStats.Snapshot live(long version) {
    var s = registry.deployment().statsIfAny(version);
    return s == null ? null : s.snapshot();
  }

  /** Whether the feedback follower has caught up with the {@code feedback} topic (rollback acts only after). */
  public boolean feedbackCaughtUp() {
    return feedback.caughtUp();
  }

  /** Every version seen on {@code models}, newest first, with its status. */
  public List<ModelState> versions() {
    return registry.versions();
  }

  public ServingConfig config() {
    return config;
  }

  @Override
  public void close() {
    http.close();
    if (inference != null) {
      inference.close();
    }
    training.close();
    feedback.close();
    registry.close();
    more.values().forEach(ModelRegistry::close);
    queue.close();
  }
}
