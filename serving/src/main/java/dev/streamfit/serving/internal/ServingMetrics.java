package dev.streamfit.serving.internal;

import dev.streamfit.common.metrics.PrometheusRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Serving's meters, scraped at {@code GET /metrics}: request latency histograms by endpoint and status,
 * forward-pass time and batch size, the active model version, swaps, verification failures by reason,
 * rejections by reason, topic-inference records by outcome. Thread-safe.
 */
public final class ServingMetrics implements ModelEvents {
  private final PrometheusMeterRegistry registry = PrometheusRegistry.create();
  private final Timer forward;
  private final DistributionSummary batchSize;
  /** The default model's events: its series carry no model tag. */
  private final ModelEvents model;

  public ServingMetrics() {
    model = events(Tags.empty());
    forward = Timer.builder("streamfit.serving.forward").description("One forward pass (a micro-batch)")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry);
    batchSize = DistributionSummary.builder("streamfit.serving.batch.size").description("Images per forward pass")
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64).register(registry);
  }

  /** The registry scraped at {@code GET /metrics}: other stages of the same process may add their meters to it. */
  public MeterRegistry registry() {
    return registry;
  }

  /** A finished HTTP request. */
  public void request(String endpoint, int status, long nanos) {
    Timer.builder("streamfit.serving.request").description("HTTP request latency, from first byte read to reply")
        .tags("endpoint", endpoint, "status", Integer.toString(status))
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  void forward(int images, long nanos) {
    forward.record(nanos, TimeUnit.NANOSECONDS);
    batchSize.record(images);
  }

  @Override
  public void activated(long version) {
    model.activated(version);
  }

  @Override
  public void verificationFailed(String reason) {
    model.verificationFailed(reason);
  }

  @Override
  public void rolledBack() {
    model.rolledBack();
  }

  /**
   * Per-version live figures of {@code model} (null: the default model's series carry no model tag) from
   * {@code stats}: requests, errors, mean latency, live accuracy, feedback, shadow agreement; registered once per
   * version, read at each scrape.
   */
  public void version(String model, VersionStats stats) {
    keepRecentVersions(model, stats.version());
    if (!gauged.add(model + "@" + stats.version())) {
      return; // registered already
    }
    Tags t = (model == null ? Tags.empty() : Tags.of("model", model)).and("version", Long.toString(stats.version()));
    Gauge.builder("streamfit.serving.version.requests", stats, s -> s.snapshot().requests()).tags(t)
        .description("Requests answered by the version (HTTP and topic)").register(registry);
    Gauge.builder("streamfit.serving.version.errors", stats, s -> s.snapshot().errors()).tags(t)
        .description("Requests the version failed (a canary's are answered again by the stable version)").register(registry);
    Gauge.builder("streamfit.serving.version.latency.mean", stats, s -> s.snapshot().meanLatencyMs() / 1000).tags(t)
        .baseUnit("seconds").description("Mean latency of the version's successful answers").register(registry);
    Gauge.builder("streamfit.serving.version.live.accuracy", stats, s -> s.snapshot().liveAccuracy()).tags(t)
        .description("Share of feedback records saying the version's top-1 was right (NaN before any)").register(registry);
    Gauge.builder("streamfit.serving.version.feedback", stats, s -> s.snapshot().feedback()).tags(t)
        .description("Feedback records on the version's predictions").register(registry);
    Gauge.builder("streamfit.serving.version.shadow.agreement", stats, s -> s.snapshot().agreement()).tags(t)
        .description("Share of shadow answers whose top-1 matches the stable version's (NaN: not a shadow)").register(registry);
  }

  /** Most versions per model whose per-version series are exported; older ones are removed (bounded cardinality). */
  static final int VERSIONS_EXPORTED = 8;
  private final Map<String, Deque<Long>> exported = new HashMap<>();
  private final Set<String> gauged = ConcurrentHashMap.newKeySet();

  /** Records that {@code version} of {@code model} is exported now; drops the series of the oldest beyond the cap. */
  private synchronized void keepRecentVersions(String model, long version) {
    Deque<Long> d = exported.computeIfAbsent(String.valueOf(model), k -> new ArrayDeque<>());
    if (d.contains(version)) {
      return;
    }
    d.addLast(version);
    while (d.size() > VERSIONS_EXPORTED) {
      String old = Long.toString(d.removeFirst());
      gauged.remove(model + "@" + old);
      registry.getMeters().stream()
          .filter(m -> m.getId().getName().startsWith("streamfit.serving.version.")
              && old.equals(m.getId().getTag("version"))
              && Objects.equals(model, m.getId().getTag("model")))
          .toList().forEach(registry::remove);
    }
  }

  /** A request latency sample of {@code version} (histogram per version). */
  public void versionLatency(String model, long version, long nanos) {
    keepRecentVersions(model, version);
    Timer.builder("streamfit.serving.version.latency").description("Prediction latency by model version")
        .tags((model == null ? Tags.empty() : Tags.of("model", model)).and("version", Long.toString(version)))
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  /** A feedback record by outcome (accepted, unknown_prediction, unknown_label, duplicate_feedback, rate_limited…). */
  public void feedback(String outcome) {
    Counter.builder("streamfit.serving.feedback").tag("outcome", outcome)
        .description("Feedback records by outcome").register(registry).increment();
  }

  /**
   * The events of a further model served by name: the same meters tagged {@code model=name}
   * ({@code streamfit_serving_model_version{model="tools"}}, swaps, verification failures).
   */
  public ModelEvents forModel(String name) {
    return events(Tags.of("model", name));
  }

  /** A model's version gauge, swap counter and verification failures, with {@code tags}. */
  private ModelEvents events(Tags tags) {
    AtomicLong version = new AtomicLong(-1);
    Gauge.builder("streamfit.serving.model.version", version, AtomicLong::get).tags(tags)
        .description("Version of the active model (-1 before one is loaded)").register(registry);
    Counter swaps = Counter.builder("streamfit.serving.model.swaps").tags(tags)
        .description("Model versions made active").register(registry);
    Counter rollbacks = Counter.builder("streamfit.serving.rollbacks").tags(tags)
        .description("Stable versions rolled back because live feedback found them worse").register(registry);
    return new ModelEvents() {
      @Override
      public void activated(long v) {
        version.set(v);
        swaps.increment();
      }

      @Override
      public void rolledBack() {
        rollbacks.increment();
      }

      @Override
      public void verificationFailed(String reason) {
        Counter.builder("streamfit.serving.model.verification.failures").tags(tags).tag("reason", reason)
            .description("Model versions refused by verification").register(registry).increment();
      }
    };
  }

  /** A request or record refused; {@code reason} is a stable code (e.g. corrupt_image, too_large, overloaded). */
  public void rejected(String source, String reason) {
    Counter.builder("streamfit.serving.rejections").tags("source", source, "reason", reason)
        .description("Requests answered with an error, by reason").register(registry).increment();
  }

  void inferenceRecord(String outcome) {
    Counter.builder("streamfit.serving.inference.records").tag("outcome", outcome)
        .description("inference.requests records answered").register(registry).increment();
  }

  /** Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }
}
