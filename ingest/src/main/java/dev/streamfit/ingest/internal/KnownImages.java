package dev.streamfit.ingest.internal;

import dev.streamfit.common.kafka.ClientProfile;
import dev.streamfit.common.kafka.KafkaClients;
import dev.streamfit.common.kafka.TopicReader;
import dev.streamfit.common.kafka.TopicsAdmin;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.ImageIndexEntry;
import dev.streamfit.schemas.Topics;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads the ids on {@code images.index} (committed records, keys only matter). */
public final class KnownImages {
  private static final Logger LOG = LoggerFactory.getLogger(KnownImages.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  /** Ingest's clients retry after 10 ms first (see Publisher). */
  static final ClientProfile QUICK_RETRY = ClientProfile.of("quick-retry",
      Map.of(CommonClientConfigs.RETRY_BACKOFF_MS_CONFIG, Publisher.RETRY_BACKOFF_MS));

  private KnownImages() {}

  /**
   * Creates the missing topics of {@code topics}, then returns every id committed to its index as of now: a
   * mutable set owned by the caller.
   */
  static Set<String> ensureTopicsAndRead(String bootstrap, Topics topics) {
    try (Admin admin = KafkaClients.admin(bootstrap, TIMEOUT, QUICK_RETRY)) {
      TopicsAdmin.ensure(admin, bootstrap, topics, TIMEOUT);
    }
    return read(bootstrap, topics.index(), false);
  }

  /**
   * Every id committed to {@code topic} as of now; with {@code publishedOnly}, only ids that went to
   * {@code images.raw} (not those refused at the edge for their content).
   *
   * @throws IllegalStateException if the cluster cannot be reached within 30 s
   */
  public static Set<String> read(String bootstrap, String topic, boolean publishedOnly) {
    // To the high watermark, not to the last stable offset: the markers of a transaction committed a moment ago
    // may not be written yet, and stopping at the LSO would miss its ids (and publish them again).
    AvroSerde<ImageIndexEntry> serde = AvroSerde.of(ImageIndexEntry.class);
    Set<String> ids = new HashSet<>();
    boolean complete = TopicReader.readAll(bootstrap, topic, TopicReader.End.HIGH_WATERMARK, TIMEOUT, r -> {
      if (r.key() != null && r.value() != null
          && (!publishedOnly || serde.decode(r.value()).getRejectedReason() == null)) {
        ids.add(r.key());
      }
    }, QUICK_RETRY);
    if (!complete) {
      LOG.warn("{}: a transaction has stayed open for 30 s (another ingester running?); continuing with the {} ids"
          + " committed so far", topic, ids.size());
    }
    return ids;
  }
}
