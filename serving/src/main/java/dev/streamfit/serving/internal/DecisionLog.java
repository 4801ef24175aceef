package dev.streamfit.serving.internal;

import dev.streamfit.common.kafka.TopicReader;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.serving.ModelStatus;
import dev.streamfit.schemas.ModelEvent;
import dev.streamfit.schemas.ModelEventKind;
import dev.streamfit.serving.ModelState;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serving's past decisions about one model, as {@code model.events} holds them, and the records that carry new ones.
 * A restarted instance reads them before it picks its stable version, so that a version rolled back or a canary
 * retired does not come back, and a canary that was never judged is not made stable without judgement. Immutable.
 *
 * @param refused versions rolled back or retired as canaries, with the status and reason the decision gave them
 * @param lastStable the version last made stable by a decision (a promoted canary, a rollback's replacement), or -1
 */
record DecisionLog(Map<Long, DecisionLog.Refusal> refused, long lastStable) {
  /** A version a decision took out of service: {@link ModelStatus#ROLLED_BACK} or {@link ModelStatus#RETIRED}. */
  record Refusal(ModelStatus status, String reason) {}

  private static final Logger LOG = LoggerFactory.getLogger(DecisionLog.class);
  private static final AvroSerde<ModelEvent> EVENTS = AvroSerde.of(ModelEvent.class);

  static final DecisionLog EMPTY = new DecisionLog(Map.of(), -1);

  /** Reads {@code topic} to its end as of now and keeps the decisions about {@code model}. */
  static DecisionLog read(String bootstrap, String topic, String model, Duration timeout) {
    Map<Long, Refusal> refused = new HashMap<>();
    long[] stable = {-1};
    try {
      TopicReader.readAll(bootstrap, topic, TopicReader.End.LAST_STABLE, timeout, r -> {
        ModelEvent e;
        try {
          e = EVENTS.decode(r.value());
        } catch (RuntimeException x) {
          return; // not ours to judge; the trainer and tools log it
        }
        if (!model.equals(e.getModelName().toString())) {
          return;
        }
        switch (e.getKind()) {
          case ROLLED_BACK -> {
            refused.put(e.getVersion(), new Refusal(ModelStatus.ROLLED_BACK, e.getReason()));
            stable[0] = e.getReplacementVersion() == null ? stable[0] : e.getReplacementVersion();
          }
          case CANARY_RETIRED -> refused.put(e.getVersion(), new Refusal(ModelStatus.RETIRED, e.getReason()));
          case CANARY_PROMOTED -> {
            refused.remove(e.getVersion());
            stable[0] = e.getVersion();
          }
          default -> { }
        }
      });
    } catch (RuntimeException e) {
      LOG.warn("could not read {} ({}); recovering without serving's past decisions", topic, e.toString());
      return EMPTY;
    }
    return new DecisionLog(Map.copyOf(refused), stable[0]);
  }

  /** The event record of a decision; {@code replacement} may be null. */
  static ModelEvent event(String model, ModelEventKind kind, long version, ModelState replacement,
      String reason, VersionStats.Snapshot s) {
    Map<String, Double> m = new TreeMap<>();
    m.put("requests", (double) s.requests());
    m.put("error.rate", s.errorRate());
    m.put("feedback", (double) s.feedback());
    put(m, "latency.mean_ms", s.meanLatencyMs());
    put(m, "live.accuracy", s.liveAccuracy());
    put(m, "live.window_accuracy", s.windowAccuracy());
    return ModelEvent.newBuilder().setModelName(model).setVersion(version).setKind(kind)
        .setReplacementVersion(replacement == null ? null : replacement.version())
        .setReplacementPartition(replacement == null ? null : replacement.partition())
        .setReplacementOffset(replacement == null ? null : replacement.offset()).setReason(reason)
        .setMetrics(Map.copyOf(m)).setAt(Instant.now()).build();
  }

  private static void put(Map<String, Double> m, String key, double v) {
    if (Double.isFinite(v)) {
      m.put(key, v);
    }
  }
}
