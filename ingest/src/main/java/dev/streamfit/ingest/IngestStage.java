package dev.streamfit.ingest;

import dev.streamfit.imaging.ImageDecoder;
import dev.streamfit.imaging.ImageRejectedException;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.ImageIndexEntry;
import dev.streamfit.schemas.Hashes;
import dev.streamfit.schemas.RawImage;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.schemas.TopicsAdmin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest stage: publishes every image file of a {@code <split>/<class>/} folder to {@code images.raw},
 * keyed by the SHA-256 of its bytes, through a transactional producer (acks=all) that also records each id on
 * the compacted {@code images.index}: re-ingesting content already published publishes nothing. Files are
 * checked at the edge with the augment stage's container guards (no pixel is decoded here) and against the
 * label set; what it cannot publish goes to {@code images.rejected} with a reason. One ingester per source
 * at a time: two running at once on the same files may both publish them (same keys).
 */
public final class IngestStage {
  private static final Logger LOG = LoggerFactory.getLogger(IngestStage.class);
  private final IngestConfig config;

  public IngestStage(IngestConfig config) {
    this.config = config;
  }

  /**
   * The image files under the data folder, in a seeded random order (a folder is usually sorted by
   * class; publishing it in that order would hand the trainer one class at a time).
   */
  public List<Path> files() {
    try (Stream<Path> walk = Files.walk(config.dataDir())) {
      List<Path> files = walk.filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .filter(p -> config.dataDir().relativize(p).getNameCount() == 3)
          .sorted().collect(java.util.stream.Collectors.toCollection(ArrayList::new));
      java.util.Collections.shuffle(files, new java.util.Random(42));
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + config.dataDir(), e);
    }
  }

  /**
   * Publishes every file whose content was not published (or refused) before, and waits until all of it is
   * committed. Per file: SHA-256 of the bytes → skipped if {@code images.index} knows it; the byte cap; the
   * augment stage's container guards ({@link ImageDecoder#probe}: allow-list, dimension caps, complete JPEG/PNG,
   * single frame); the label set. Images go to {@code images.raw} and their id to {@code images.index} in one
   * transaction, so a crash never leaves an image published but unindexed (or the reverse); refusals go to
   * {@code images.rejected} with a reason.
   *
   * @param progress called with the number of files handled so far (may be null)
   */
  public IngestSummary run(LongConsumer progress) {
    long t0 = System.nanoTime();
    Topics topics = config.topics();
    TopicsAdmin.ensure(config.bootstrapServers(), topics, Duration.ofSeconds(30));
    Set<String> known = KnownImages.read(config.bootstrapServers(), topics.index());
    List<Path> files = files();
    ImageDecoder guard = new ImageDecoder(config.limits());
    AvroSerde<RawImage> rawSerde = AvroSerde.of(RawImage.class);
    AvroSerde<ImageIndexEntry> indexSerde = AvroSerde.of(ImageIndexEntry.class);
    AvroSerde<Rejection> rejectionSerde = AvroSerde.of(Rejection.class);
    Map<String, Long> perSplit = new TreeMap<>();
    Map<String, Long> rejectedByReason = new TreeMap<>();
    long published = 0;
    long duplicates = 0;
    long bytes = 0;
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps(), new StringSerializer(),
        new ByteArraySerializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      long inTransaction = 0;
      long done = 0;
      for (Path file : files) {
        if (progress != null) {
          progress.accept(++done);
        }
        Path rel = config.dataDir().relativize(file);
        Split split = split(rel.getName(0).toString());
        String label = split == Split.UNLABELED ? null : rel.getName(1).toString();
        byte[] content;
        try {
          content = Files.readAllBytes(file);
        } catch (IOException e) {
          producer.send(new ProducerRecord<>(topics.rejected(), null, rejectionSerde.encode(rejection(null, file,
              RejectReason.INTERNAL_ERROR, "cannot read file: " + e.getMessage()))));
          rejectedByReason.merge(RejectReason.INTERNAL_ERROR.code(), 1L, Long::sum);
          continue;
        }
        String id = Hashes.sha256Hex(content);
        if (!known.add(id)) {
          duplicates++;
          continue;
        }
        RejectReason reason = null;
        String message = null;
        if (content.length > config.maxImageBytes()) {
          reason = RejectReason.TOO_LARGE;
          message = content.length + " bytes, above ingest.max-image-bytes=" + config.maxImageBytes();
        } else {
          try {
            guard.probe(content);
          } catch (ImageRejectedException e) {
            reason = e.reason();
            message = e.getMessage();
          }
        }
        boolean contentRefused = reason != null;
        if (reason == null && label != null && !config.labels().isEmpty() && !config.labels().contains(label)) {
          if (config.unknownLabelAsUnlabeled()) {
            label = null;
            split = Split.UNLABELED;
          } else {
            reason = RejectReason.UNKNOWN_LABEL;
            message = "label '" + label + "' is not one of " + config.labels()
                + " (set --labels, or --unknown-label-as-unlabeled to publish it unlabeled)";
            known.remove(id); // a later run with another label set may publish it
          }
        }
        Instant now = Instant.now();
        if (reason != null) {
          producer.send(new ProducerRecord<>(topics.rejected(), id, rejectionSerde.encode(rejection(id, file, reason, message))));
          rejectedByReason.merge(reason.code(), 1L, Long::sum);
          if (contentRefused) {
            producer.send(new ProducerRecord<>(topics.index(), id, indexSerde.encode(ImageIndexEntry.newBuilder().setId(id)
                .setSplit(Split.UNLABELED).setLabel(null).setSource(rel.toString()).setIngestedAt(now)
                .setRejectedReason(reason.code()).build())));
          }
        } else {
          RawImage rec = RawImage.newBuilder().setId(id).setContent(ByteBuffer.wrap(content)).setMediaType(mediaType(file))
              .setLabel(label).setSplit(split).setSource(rel.toString()).setIngestedAt(now).build();
          producer.send(new ProducerRecord<>(topics.raw(), id, rawSerde.encode(rec)));
          producer.send(new ProducerRecord<>(topics.index(), id, indexSerde.encode(ImageIndexEntry.newBuilder().setId(id)
              .setSplit(split).setLabel(label).setSource(rel.toString()).setIngestedAt(now).build())));
          perSplit.merge(split.name().toLowerCase(Locale.ROOT), 1L, Long::sum);
          published++;
          bytes += content.length;
          inTransaction += content.length;
        }
        if (inTransaction >= TRANSACTION_BYTES) {
          producer.commitTransaction();
          producer.beginTransaction();
          inTransaction = 0;
        }
      }
      producer.commitTransaction();
    } catch (KafkaException e) {
      throw new IllegalStateException("publishing to " + topics.raw() + " failed (nothing of the open transaction is"
          + " visible; re-run to publish the rest): " + e, e);
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    long rejected = rejectedByReason.values().stream().mapToLong(Long::longValue).sum();
    IngestSummary s = new IngestSummary(published, rejected, bytes, perSplit, secs, duplicates, rejectedByReason);
    LOG.info("ingested {} images ({} MB) from {} in {} s; {} already published; rejected {}", s.published(),
        bytes / 1_000_000, config.dataDir(), String.format(Locale.ROOT, "%.1f", secs), duplicates, rejectedByReason);
    return s;
  }

  /** Bytes of images per transaction: large enough to amortise the commit, small enough to redo after a crash. */
  private static final long TRANSACTION_BYTES = 32L * 1024 * 1024;

  private Map<String, Object> producerProps() {
    return Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.topics().prefix() + "streamfit-ingest-" + UUID.randomUUID(),
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.RAW_MAX_BYTES,
        ProducerConfig.LINGER_MS_CONFIG, 5,
        ProducerConfig.BATCH_SIZE_CONFIG, 1024 * 1024);
  }

  private static Rejection rejection(String id, Path file, RejectReason reason, String message) {
    return Rejection.newBuilder().setOriginalKey(id).setStage("ingest").setReason(reason.code()).setMessage(message)
        .setSource(file.toString()).setRejectedAt(Instant.now()).build();
  }

  /** Folder name → split: train, validation/val, test; anything else is unlabeled. */
  static Split split(String folder) {
    return switch (folder.toLowerCase(Locale.ROOT)) {
      case "train" -> Split.TRAIN;
      case "validation", "val" -> Split.VALIDATION;
      case "test" -> Split.TEST;
      default -> Split.UNLABELED;
    };
  }

  static String mediaType(Path file) {
    String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (n.endsWith(".jpg") || n.endsWith(".jpeg")) {
      return "image/jpeg";
    }
    if (n.endsWith(".png")) {
      return "image/png";
    }
    return "application/octet-stream";
  }
}
