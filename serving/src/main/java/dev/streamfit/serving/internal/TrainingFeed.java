package dev.streamfit.serving.internal;

import dev.streamfit.common.kafka.ClientProfile;
import dev.streamfit.common.kafka.ConsumerLoop;
import dev.streamfit.common.kafka.KafkaClients;
import dev.streamfit.common.kafka.TopicReader;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.TrainingMetrics;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code training.metrics} from the beginning (no group) and keeps the newest evaluations per
 * model, from which the web page draws the learning curve. Thread-safe; one thread owns the consumer.
 */
public final class TrainingFeed extends ConsumerLoop {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingFeed.class);
  private static final int KEEP = 2000;
  private final String bootstrap;
  private final String topic;
  private final Deque<Map<String, Object>> points = new ArrayDeque<>();
  /** Each run's configuration, by run id, oldest run first (at most {@value #RUNS_KEPT}). */
  private final Map<String, Run> runs = new LinkedHashMap<>();
  private static final int RUNS_KEPT = 100;

  /** A trainer run: its model, configuration and first evaluation time. */
  public record Run(String run, String model, String startedAt, Map<String, String> config) {}

  public TrainingFeed(String bootstrap, String topic) {
    super("streamfit-training-feed");
    this.bootstrap = bootstrap;
    this.topic = topic;
  }

  /** Evaluations of {@code modelName} (all models if null), oldest first, as JSON-ready maps. */
  public synchronized List<Map<String, Object>> points(String modelName) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> p : points) {
      if (modelName == null || modelName.equals(p.get("model"))) {
        out.add(p);
      }
    }
    return out;
  }

  /** Runs of {@code modelName} (all models if null), oldest first, with their evaluations. */
  public synchronized List<Map<String, Object>> runs(String modelName) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Run r : runs.values()) {
      if (modelName != null && !modelName.equals(r.model())) {
        continue;
      }
      List<Map<String, Object>> its = points.stream().filter(p -> r.run().equals(p.get("run"))).toList();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("run", r.run());
      m.put("model", r.model());
      m.put("startedAt", r.startedAt());
      m.put("config", r.config());
      m.put("points", its);
      out.add(m);
    }
    return out;
  }

  private synchronized void addRun(Run r) {
    if (!runs.containsKey(r.run())) {
      if (runs.size() == RUNS_KEPT) {
        runs.remove(runs.keySet().iterator().next());
      }
      runs.put(r.run(), r);
    }
  }

  private synchronized void add(Map<String, Object> p) {
    if (points.size() == KEEP) {
      points.removeFirst();
    }
    points.addLast(p);
  }

  @Override
  protected void run() {
    try (KafkaConsumer<String, byte[]> c = KafkaClients.consumer(bootstrap, ClientProfile.READ_COMMITTED)) {
      own(c);
      TopicReader.assignFromBeginning(c, topic, Duration.ofSeconds(30));
      AvroSerde<TrainingMetrics> serde = AvroSerde.of(TrainingMetrics.class);
      while (running()) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
          try {
            TrainingMetrics m = serde.decode(r.value());
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("model", m.getModelName());
            p.put("step", m.getStep());
            p.put("epoch", m.getEpoch());
            p.put("trigger", m.getTrigger());
            p.put("evaluatedAt", m.getEvaluatedAt().toString());
            p.put("samplesTrained", m.getSamplesTrained());
            p.put("learningRate", m.getLearningRate());
            p.put("metrics", m.getMetrics());
            p.put("publishedVersion", m.getPublishedVersion());
            p.put("run", m.getRun());
            if (m.getRun() != null) {
              addRun(new Run(m.getRun(), m.getModelName(), m.getEvaluatedAt().toString(), new TreeMap<>(m.getRunConfig())));
            }
            add(p);
          } catch (RuntimeException e) {
            LOG.warn("{} offset {}: not a TrainingMetrics record ({}); skipped", topic, r.offset(), e.getMessage());
          }
        }
      }
    }
  }
}
