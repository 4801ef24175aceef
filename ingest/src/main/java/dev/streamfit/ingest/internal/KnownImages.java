package dev.streamfit.ingest.internal;

import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.ImageIndexEntry;
import dev.streamfit.schemas.Topics;
import dev.streamfit.schemas.TopicsAdmin;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads the ids on {@code images.index} (committed records, keys only matter). */
public final class KnownImages {
  private static final Logger LOG = LoggerFactory.getLogger(KnownImages.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private KnownImages() {}

  /**
   * Creates the missing topics of {@code topics}, then returns every id committed to its index as of now: a
   * mutable set owned by the caller. One admin client does both and finds the index's end offsets; a consumer
   * is opened only when the index holds records.
   */
  static Set<String> ensureTopicsAndRead(String bootstrap, Topics topics) {
    try (Admin admin = admin(bootstrap)) {
      TopicsAdmin.ensure(admin, bootstrap, topics, TIMEOUT);
      return read(bootstrap, topics.index(), false, admin);
    }
  }

  /**
   * Every id committed to {@code topic} as of now; with {@code publishedOnly}, only ids that went to
   * {@code images.raw} (not those refused at the edge for their content).
   */
  public static Set<String> read(String bootstrap, String topic, boolean publishedOnly) {
    try (Admin admin = admin(bootstrap)) {
      return read(bootstrap, topic, publishedOnly, admin);
    }
  }

  private static Admin admin(String bootstrap) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis(),
        AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, Publisher.RETRY_BACKOFF_MS));
  }

  private static Set<String> read(String bootstrap, String topic, boolean publishedOnly, Admin admin) {
    // Read to the high watermark, not to the last stable offset a read_committed consumer reports: the
    // markers of a transaction committed a moment ago may not be written yet, and stopping at the LSO would
    // miss its ids (and publish them again).
    Map<TopicPartition, Long> end = new HashMap<>();
    Map<TopicPartition, Long> start = new HashMap<>();
    try {
      int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .get(topic).partitions().size();
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
      for (int p = 0; p < partitions; p++) {
        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        earliest.put(new TopicPartition(topic, p), OffsetSpec.earliest());
      }
      ListOffsetsOptions uncommitted = new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED);
      admin.listOffsets(latest, uncommitted).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .forEach((tp, info) -> end.put(tp, info.offset()));
      admin.listOffsets(earliest, uncommitted).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .forEach((tp, info) -> start.put(tp, info.offset()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading " + topic, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot read the offsets of " + topic + " on " + bootstrap + " within " + TIMEOUT
          + ": " + e.getMessage() + " (is --bootstrap-servers right and the cluster up?)", e);
    }
    Set<String> ids = new HashSet<>();
    if (end.entrySet().stream().allMatch(e -> e.getValue() <= start.get(e.getKey()))) {
      return ids; // empty index: nothing to read
    }
    AvroSerde<ImageIndexEntry> serde = AvroSerde.of(ImageIndexEntry.class);
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.RETRY_BACKOFF_MS_CONFIG, Publisher.RETRY_BACKOFF_MS), new StringDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>(end.keySet());
      c.assign(parts);
      c.seekToBeginning(parts);
      long deadline = System.currentTimeMillis() + TIMEOUT.toMillis();
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
}
