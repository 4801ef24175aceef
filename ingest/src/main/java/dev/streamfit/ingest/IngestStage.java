package dev.streamfit.ingest;

import dev.streamfit.ingest.internal.Publisher;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.schemas.TopicsAdmin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import dev.streamfit.schemas.Hashes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest stage: publishes every image file of a {@code <split>/<class>/} folder to {@code images.raw},
 * keyed by the SHA-256 of its bytes, through a transactional producer (acks=all) that also records each id on
 * the compacted {@code images.index}: re-ingesting content already published publishes nothing. Files are
 * checked at the edge with the augment stage's container guards (no pixel is decoded here) and against the
 * label set; what it cannot publish goes to {@code images.rejected} with a reason. One ingester per source
 * at a time: two running at once on the same files may both publish them (same keys). Also watches the
 * folder ({@link #watch}) and takes images over HTTP ({@link #serveHttp}).
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
    if (config.dataDir() == null) {
      throw new IllegalStateException("ingest.data is not set: no folder to ingest (set --data)");
    }
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
   * Publishes every file of the folder whose content was not published (or refused) before, and waits until
   * all of it is committed. Per file: SHA-256 of the bytes → skipped if {@code images.index} knows it; the byte
   * cap; the augment stage's container guards ({@link dev.streamfit.imaging.ImageDecoder#probe}: allow-list,
   * dimension caps, complete JPEG/PNG, single frame); the label set. Images go to {@code images.raw} and their id
   * to {@code images.index} in one transaction, so a crash never leaves an image published but unindexed (or
   * the reverse); refusals go to {@code images.rejected} with a reason.
   *
   * @param progress called with the number of files handled so far (may be null)
   */
  public IngestSummary run(LongConsumer progress) {
    return run(items(), progress);
  }

  /**
   * As {@link #run(LongConsumer)} for the given files (a labels CSV, globs, a list on stdin: {@link IngestSources}).
   *
   * @param progress called with the number of files handled so far (may be null)
   */
  public IngestSummary run(List<IngestItem> items, LongConsumer progress) {
    long t0 = System.nanoTime();
    TopicsAdmin.ensure(config.bootstrapServers(), config.topics(), Duration.ofSeconds(30));
    // Files are read and hashed a few ahead on other threads (one per core) while this one publishes in order.
    ExecutorService readers = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()), r -> {
      Thread t = new Thread(r, "streamfit-ingest-read");
      t.setDaemon(true);
      return t;
    });
    try (Publisher publisher = new Publisher(config)) {
      long started = System.nanoTime();
      Deque<Future<Loaded>> ahead = new ArrayDeque<>();
      int next = 0;
      long done = 0;
      while (next < items.size() || !ahead.isEmpty()) {
        while (next < items.size() && ahead.size() < READ_AHEAD) {
          IngestItem item = items.get(next++);
          ahead.add(readers.submit(() -> Loaded.of(item)));
        }
        publish(publisher, ahead.removeFirst().get());
        if (progress != null) {
          progress.accept(++done);
        }
      }
      publisher.commit();
      return summary(publisher, t0, started);
    } catch (KafkaException e) {
      throw failed(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("ingest interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("reading files failed: " + e.getCause(), e.getCause());
    } finally {
      readers.shutdownNow();
    }
  }

  /** Files read and hashed ahead of the one being published. */
  private static final int READ_AHEAD = 64;

  /** A file's bytes and SHA-256, or why it could not be read. */
  private record Loaded(IngestItem item, byte[] content, String id, IOException error) {
    static Loaded of(IngestItem item) {
      try {
        byte[] b = Files.readAllBytes(item.file());
        return new Loaded(item, b, Hashes.sha256Hex(b), null);
      } catch (IOException e) {
        return new Loaded(item, null, null, e);
      }
    }
  }

  private void publish(Publisher publisher, Loaded f) {
    IngestItem it = f.item();
    if (f.error() != null) {
      publisher.reject(null, it.source(), RejectReason.INTERNAL_ERROR, "cannot read file: " + f.error().getMessage());
      return;
    }
    publisher.publish(f.content(), f.id(), it.source(), it.split(), it.label(), mediaType(it.file()));
  }

  /** Ids of every image published to {@code images.raw} so far (committed), read from {@code images.index}. */
  public static Set<String> publishedIds(String bootstrap, Topics topics) {
    return dev.streamfit.ingest.internal.KnownImages.read(bootstrap, topics.index(), true);
  }

  /** The files of the {@code <split>/<class>/} folder as items, in {@link #files()} order. */
  public List<IngestItem> items() {
    List<IngestItem> out = new ArrayList<>();
    for (Path file : files()) {
      out.add(item(file));
    }
    return out;
  }

  private IngestItem item(Path file) {
    Path rel = config.dataDir().relativize(file);
    Split split = split(rel.getName(0).toString());
    return new IngestItem(file, rel.toString(), split, split == Split.UNLABELED ? null : rel.getName(1).toString());
  }

  /**
   * Publishes the folder, then keeps watching it: a file that appears (in the {@code <split>/<class>/} layout)
   * is published once its size and modification time are unchanged over one {@code interval} (so files still
   * being written are not read half-way), and committed at the end of that scan. Returns when {@code stop} says
   * so, with what this call did.
   */
  public IngestSummary watch(Duration interval, BooleanSupplier stop) throws InterruptedException {
    long t0 = System.nanoTime();
    TopicsAdmin.ensure(config.bootstrapServers(), config.topics(), Duration.ofSeconds(30));
    Set<Path> done = new HashSet<>();
    Map<Path, List<Long>> pending = new HashMap<>();
    try (Publisher publisher = new Publisher(config)) {
      long started = System.nanoTime();
      while (!stop.getAsBoolean()) {
        for (Path file : files()) {
          if (done.contains(file)) {
            continue;
          }
          List<Long> stat;
          try {
            stat = List.of(Files.size(file), Files.getLastModifiedTime(file).toMillis());
          } catch (IOException e) {
            continue; // gone again
          }
          if (stat.equals(pending.put(file, stat))) {
            publishFile(publisher, file);
            done.add(file);
            pending.remove(file);
          }
        }
        publisher.commit();
        Thread.sleep(interval.toMillis());
      }
      return summary(publisher, t0, started);
    } catch (KafkaException e) {
      throw failed(e);
    }
  }

  /**
   * Starts {@code POST /v1/images?label=…&split=…} (raw image body, or multipart/form-data with one file) on
   * {@code host}:{@code port} (0 = any free port): 201 published, 200 already published, 413/415/422 refused
   * with a reason, 400 bad parameters. Each accepted image is committed before the answer. Close the returned
   * server to stop.
   */
  public IngestServer serveHttp(String host, int port) throws IOException {
    TopicsAdmin.ensure(config.bootstrapServers(), config.topics(), Duration.ofSeconds(30));
    return dev.streamfit.ingest.internal.IngestHttp.start(config, new Publisher(config), host, port);
  }

  private void publishFile(Publisher publisher, Path file) {
    publish(publisher, Loaded.of(item(file)));
  }

  private IngestSummary summary(Publisher p, long t0, long started) {
    double secs = (System.nanoTime() - t0) / 1e9;
    Map<String, Long> rejected = p.rejectedByReason();
    IngestSummary s = new IngestSummary(p.published(), rejected.values().stream().mapToLong(Long::longValue).sum(),
        p.bytes(), p.perSplit(), secs, p.duplicates(), rejected, (started - t0) / 1e9);
    LOG.info("ingested {} images ({} MB) in {} s; {} already published; rejected {}", s.published(),
        s.bytes() / 1_000_000, String.format(Locale.ROOT, "%.1f", secs), s.duplicates(), rejected);
    return s;
  }

  private IllegalStateException failed(KafkaException e) {
    return new IllegalStateException("publishing to " + config.topics().raw() + " failed (nothing of the open"
        + " transaction is visible; re-run to publish the rest): " + e, e);
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
