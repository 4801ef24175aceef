package dev.streamfit.ingest.internal;

import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.ImageIndexEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads the ids on {@code images.index} (committed records, keys only matter). */
public final class KnownImages {
  private static final Logger LOG = LoggerFactory.getLogger(KnownImages.class);

  private KnownImages() {}

  /** Every id committed to {@code topic} as of now; a mutable set owned by the caller. */
  static Set<String> read(String bootstrap, String topic) {
    return read(bootstrap, topic, false);
  }

  /**
   * As {@link #read(String, String)}; with {@code publishedOnly}, only ids that went to {@code images.raw}
   * (not those refused at the edge for their content).
   */
  public static Set<String> read(String bootstrap, String topic, boolean publishedOnly) {
    AvroSerde<ImageIndexEntry> serde = AvroSerde.of(ImageIndexEntry.class);
    Set<String> ids = new HashSet<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      c.partitionsFor(topic, Duration.ofSeconds(30)).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
      c.assign(parts);
      c.seekToBeginning(parts);
      // Read to the high watermark, not to the last stable offset a read_committed consumer reports: the
      // markers of a transaction committed a moment ago may not be written yet, and stopping at the LSO would
      // miss its ids (and publish them again).
      Map<TopicPartition, Long> end = highWatermarks(bootstrap, parts);
      long deadline = System.currentTimeMillis() + 30_000;
      while (parts.stream().anyMatch(p -> c.position(p) < end.get(p))) {
        if (System.currentTimeMillis() > deadline) {
          LOG.warn("{}: a transaction has stayed open for 30 s (another ingester running?); continuing with the {} ids"
              + " committed so far", topic, ids.size());
          break;
        }
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.key() != null && r.value() != null
              && (!publishedOnly || serde.decode(r.value()).getRejectedReason() == null)) {
            ids.add(r.key());
          }
        }
      }
    }
    return ids;
  }

  private static Map<TopicPartition, Long> highWatermarks(String bootstrap, List<TopicPartition> parts) {
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted"), new StringDeserializer(), new ByteArrayDeserializer())) {
      return c.endOffsets(parts);
    }
  }
}
