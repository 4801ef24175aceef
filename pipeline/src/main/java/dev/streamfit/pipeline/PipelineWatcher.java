package dev.streamfit.pipeline;

import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import dev.streamfit.common.kafka.ConsumerLoop;
import dev.streamfit.common.kafka.KafkaClients;
import dev.streamfit.common.kafka.ClientProfile;

/**
 * Observes the pipeline from outside, through Kafka only: reads committed records of
 * {@code images.augmented} and {@code images.rejected} and counts which raw images have come out.
 * Thread-safe getters; runs on its own daemon thread.
 */
public final class PipelineWatcher extends ConsumerLoop {
  private final Set<String> augmentedIds = ConcurrentHashMap.newKeySet();
  private final Set<String> rejectedIds = ConcurrentHashMap.newKeySet();
  private final Map<String, Long> rejectReasons = new ConcurrentHashMap<>();
  private final List<Rejection> rejections = Collections.synchronizedList(new ArrayList<>());
  private volatile long trainSamples;
  private volatile long trainImages;
  private volatile long samples;
  private final KafkaConsumer<String, byte[]> consumer;
  private final String augmentedTopic;

  /** Starts watching {@code topics} on {@code bootstrap} from their beginning. */
  public PipelineWatcher(String bootstrap, Topics topics) {
    super("streamfit-watcher");
    consumer = KafkaClients.consumer(bootstrap, ClientProfile.READ_COMMITTED,
        ClientProfile.reading(topics.spec(topics.augmented()), topics.spec(topics.rejected())));
    List<TopicPartition> parts = new ArrayList<>();
    for (String t : List.of(topics.augmented(), topics.rejected())) {
      consumer.partitionsFor(t, Duration.ofSeconds(30)).forEach(p -> parts.add(new TopicPartition(t, p.partition())));
    }
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
    augmentedTopic = topics.augmented();
    own(consumer);
    start();
  }

  @Override
  protected void run() {
    AvroSerde<AugmentedSample> samplesSerde = AvroSerde.of(AugmentedSample.class);
    AvroSerde<Rejection> rejSerde = AvroSerde.of(Rejection.class);
    try {
      while (running()) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          try {
            if (r.topic().equals(augmentedTopic)) {
              AugmentedSample s = samplesSerde.decode(r.value());
              augmentedIds.add(s.getSourceId());
              samples++;
              if (s.getSplit() == Split.TRAIN) {
                trainSamples++;
                trainImages += s.getEpoch() == 0 && s.getVariant() == 0 ? 1 : 0;
              }
            } else {
              Rejection rej = rejSerde.decode(r.value());
              if (!rej.getStage().equals("trainer")) {
                rejectedIds.add(rej.getOriginalKey() == null ? "offset-" + r.offset() : rej.getOriginalKey());
              }
              rejectReasons.merge(rej.getReason(), 1L, Long::sum);
              rejections.add(rej);
            }
          } catch (RuntimeException e) {
            rejectReasons.merge("unreadable_output_record", 1L, Long::sum);
          }
        }
      }
    } finally {
      consumer.close();
    }
  }

  /** Ids of the raw images accounted for (augmented or rejected). */
  public Set<String> processedIdSet() {
    Set<String> all = new HashSet<>(augmentedIds);
    all.addAll(rejectedIds);
    return all;
  }

  /** Raw images accounted for (augmented or rejected before training). */
  public int processedImages() {
    Set<String> all = new HashSet<>(augmentedIds);
    all.addAll(rejectedIds);
    return all.size();
  }

  public long trainSamples() {
    return trainSamples;
  }

  /** Train images augmented (their first epoch's first variant); each has one sample per epoch. */
  public long trainImages() {
    return trainImages;
  }

  public long samples() {
    return samples;
  }

  public int rejectedImages() {
    return rejectedIds.size();
  }

  public Map<String, Long> rejectReasons() {
    return Map.copyOf(rejectReasons);
  }

  public List<Rejection> rejections() {
    synchronized (rejections) {
      return List.copyOf(rejections);
    }
  }
}
