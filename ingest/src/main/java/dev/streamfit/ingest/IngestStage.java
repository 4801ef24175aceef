package dev.streamfit.ingest;

import dev.streamfit.schemas.AvroSerde;
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
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest stage: publishes every image file of a {@code <split>/<class>/} folder to
 * {@code images.raw}, keyed by the SHA-256 of its bytes, through an idempotent producer (acks=all).
 * Files it cannot publish go to {@code images.rejected} with a reason. Content is not decoded here; the
 * augment stage guards decoding.
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
   * Publishes every file and waits for all acknowledgements.
   *
   * @param progress called with the number of files handled so far (may be null)
   */
  public IngestSummary run(LongConsumer progress) {
    long t0 = System.nanoTime();
    Topics topics = config.topics();
    TopicsAdmin.ensure(config.bootstrapServers(), topics, Duration.ofSeconds(30));
    List<Path> files = files();
    Map<String, Long> perSplit = new TreeMap<>();
    long bytes = 0;
    long rejected = 0;
    List<Future<RecordMetadata>> pending = new ArrayList<>();
    try (KafkaProducer<String, RawImage> images = new KafkaProducer<>(producerProps(), new StringSerializer(),
        AvroSerde.of(RawImage.class));
        KafkaProducer<String, Rejection> rejections = new KafkaProducer<>(producerProps(), new StringSerializer(),
            AvroSerde.of(Rejection.class))) {
      long done = 0;
      for (Path file : files) {
        Path rel = config.dataDir().relativize(file);
        Split split = split(rel.getName(0).toString());
        String label = rel.getName(1).toString();
        byte[] content;
        try {
          content = Files.readAllBytes(file);
        } catch (IOException e) {
          rejections.send(new ProducerRecord<>(topics.rejected(), null, rejection(null, file, RejectReason.INTERNAL_ERROR,
              "cannot read file: " + e.getMessage())));
          rejected++;
          continue;
        }
        String id = Hashes.sha256Hex(content);
        if (content.length > config.maxImageBytes()) {
          rejections.send(new ProducerRecord<>(topics.rejected(), id, rejection(id, file, RejectReason.TOO_LARGE,
              content.length + " bytes, above ingest.max-image-bytes=" + config.maxImageBytes())));
          rejected++;
          continue;
        }
        RawImage rec = RawImage.newBuilder().setId(id).setContent(ByteBuffer.wrap(content))
            .setMediaType(mediaType(file)).setLabel(split == Split.UNLABELED ? null : label).setSplit(split)
            .setSource(rel.toString()).setIngestedAt(Instant.now()).build();
        pending.add(images.send(new ProducerRecord<>(topics.raw(), id, rec)));
        perSplit.merge(split.name().toLowerCase(Locale.ROOT), 1L, Long::sum);
        bytes += content.length;
        if (progress != null) {
          progress.accept(++done);
        }
      }
      images.flush();
      rejections.flush();
      for (Future<RecordMetadata> f : pending) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("ingest interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("publishing to " + topics.raw() + " failed: " + e.getCause(), e.getCause());
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    IngestSummary s = new IngestSummary(pending.size(), rejected, bytes, perSplit, secs);
    LOG.info("ingested {} images ({} MB) from {} in {} s; {} rejected", s.published(), bytes / 1_000_000,
        config.dataDir(), String.format(Locale.ROOT, "%.1f", secs), rejected);
    return s;
  }

  private Map<String, Object> producerProps() {
    return Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
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
