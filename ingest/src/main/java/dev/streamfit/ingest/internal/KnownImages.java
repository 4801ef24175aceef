package dev.streamfit.ingest.internal;

import dev.streamfit.common.kafka.ClientProfile;
import dev.streamfit.common.kafka.KafkaClients;
import dev.streamfit.common.kafka.TopicReader;
import dev.streamfit.common.kafka.TopicsAdmin;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.ImageIndexEntry;
import dev.streamfit.schemas.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads {@code images.index} (committed records): the ids handled so far and what became of each. */
public final class KnownImages {
  private static final Logger LOG = LoggerFactory.getLogger(KnownImages.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  /** Ingest's clients retry after 10 ms first (see Publisher). */
  static final ClientProfile QUICK_RETRY = ClientProfile.of("quick-retry",
      Map.of(CommonClientConfigs.RETRY_BACKOFF_MS_CONFIG, Publisher.RETRY_BACKOFF_MS));

  private KnownImages() {}

  /**
   * Creates the missing topics of {@code topics}, then returns every id committed to its index as of now with what
   * became of it (the last entry of an id wins, as compaction keeps it).
   */
  static Map<String, Publisher.Known> ensureTopicsAndRead(String bootstrap, Topics topics) {
    try (Admin admin = KafkaClients.admin(bootstrap, TIMEOUT, QUICK_RETRY)) {
      TopicsAdmin.ensure(admin, bootstrap, topics, TIMEOUT);
    }
    AvroSerde<ImageIndexEntry> serde = AvroSerde.of(ImageIndexEntry.class);
    Map<String, Publisher.Known> known = new HashMap<>();
    readAll(bootstrap, topics.index(), (id, value) -> known.put(id, Publisher.Known.of(serde.decode(value))));
    return known;
  }

  /**
   * Every id committed to {@code topic} as of now; with {@code publishedOnly}, only ids that went to
   * {@code images.raw} (not those refused at the edge for their content).
   *
   * @throws IllegalStateException if the cluster cannot be reached within 30 s
   */
  public static Set<String> read(String bootstrap, String topic, boolean publishedOnly) {
    AvroSerde<ImageIndexEntry> serde = AvroSerde.of(ImageIndexEntry.class);
    Set<String> ids = new HashSet<>();
    readAll(bootstrap, topic, (id, value) -> {
      if (!publishedOnly || serde.decode(value).getRejectedReason() == null) {
        ids.add(id);
      }
    });
    return ids;
  }

  private static void readAll(String bootstrap, String topic, BiConsumer<String, byte[]> entry) {
    // To the high watermark, not to the last stable offset: the markers of a transaction committed a moment ago
    // may not be written yet, and stopping at the LSO would miss its ids (and publish them again).
    int[] n = {0};
    boolean complete = TopicReader.readAll(bootstrap, topic, TopicReader.End.HIGH_WATERMARK, TIMEOUT, r -> {
      if (r.key() != null && r.value() != null) {
        entry.accept(r.key(), r.value());
        n[0]++;
      }
    }, QUICK_RETRY);
    if (!complete) {
      LOG.warn("{}: a transaction has stayed open for 30 s (another ingester running?); continuing with the {}"
          + " entries committed so far", topic, n[0]);
    }
  }
}
