package dev.streamfit.trainer.internal;

import dev.streamfit.trainer.EvalPoint;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * One trainer checkpoint on disk: a zip holding the typed state ({@code state.properties}, see {@link TrainerState}),
 * the model with its updater state ({@code model.bin}), the champion's weights ({@code champion.bin}, empty if none),
 * and the SHA-256 of all three ({@code checksum.sha256}), verified on read. Samples are not copied in: the state
 * keeps references to them on the input topic. Written atomically (temp file, fsync, rename, directory fsync).
 * Immutable (the arrays are not copied: do not modify them).
 *
 * @param state counters, offsets, window and rehearsal references, versions, history
 * @param model serialised graph with updater
 * @param champion serialised champion graph without updater (the served version, re-scored on each window), empty if none
 */
public record Checkpoint(TrainerState state, byte[] model, byte[] champion) {
  /** File name of the copy of the best checkpoint (by validation accuracy); never pruned, never resumed from. */
  public static final String BEST = "best.zip";
  private static final String PREFIX = "ckpt-";
  private static final String[] ENTRIES = {"state.properties", "model.bin", "champion.bin"};
  private static final String CHECKSUM = "checksum.sha256";

  /** Optimisation steps so far. */
  public long step() {
    return state.progress().step();
  }

  /** Train samples consumed into the model. */
  public long samplesTrained() {
    return state.progress().samplesTrained();
  }

  /** Next offset to consume per partition key {@code topic:partition}. */
  public Map<String, Long> nextOffsets() {
    return state.progress().nextOffsets();
  }

  /** Every evaluation kept, oldest first. */
  public List<EvalPoint> history() {
    return state.judgement().history();
  }

  /**
   * Writes this checkpoint into {@code dir} and returns its path. Keeps the newest {@code keep}; with
   * {@code best} also (atomically) replaces {@value #BEST} with a copy.
   */
  public Path write(Path dir, int keep, boolean best) throws IOException {
    Files.createDirectories(dir);
    Path target = dir.resolve(String.format("%s%012d.zip", PREFIX, step()));
    Path tmp = dir.resolve(target.getFileName() + ".tmp");
    ByteArrayOutputStream state = new ByteArrayOutputStream();
    this.state.toProperties().store(state, "streamfit trainer checkpoint");
    byte[][] parts = {state.toByteArray(), model, champion};
    try (OutputStream fos = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20);
        ZipOutputStream zip = new ZipOutputStream(fos)) {
      // Stored, not deflated: float weights barely compress.
      for (int i = 0; i < ENTRIES.length; i++) {
        putStored(zip, ENTRIES[i], parts[i]);
      }
      putStored(zip, CHECKSUM, checksum(parts).getBytes(StandardCharsets.US_ASCII));
    }
    commit(tmp, target);
    if (best) {
      Path bestTmp = dir.resolve(BEST + ".tmp");
      Files.copy(target, bestTmp, StandardCopyOption.REPLACE_EXISTING);
      commit(bestTmp, dir.resolve(BEST));
    }
    List<Path> all = list(dir);
    for (int i = 0; i < all.size() - keep; i++) {
      Files.deleteIfExists(all.get(i));
    }
    return target;
  }

  private static void putStored(ZipOutputStream zip, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(data.length);
    e.setCompressedSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setCrc(crc.getValue());
    zip.putNextEntry(e);
    zip.write(data);
    zip.closeEntry();
  }

  /** fsync {@code tmp}, rename it to {@code target}, fsync the directory. */
  private static void commit(Path tmp, Path target) throws IOException {
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel ch = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException ignored) {
      // directory fsync is not supported everywhere
    }
  }

  /** Checkpoint files in {@code dir}, oldest first. Reads only: safe beside a running trainer. */
  public static List<Path> list(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (name.startsWith(PREFIX) && name.endsWith(".zip")) {
          out.add(p);
        }
      }
    }
    out.sort(null);
    return out;
  }

  /**
   * Deletes temp files a crash left mid-write in {@code dir}. Only for the trainer that owns the directory, before it
   * writes: beside a running trainer it would delete the checkpoint being written.
   */
  public static void deleteStaleTemps(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.tmp")) {
      for (Path p : ds) {
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * Reads a checkpoint; throws if it is incomplete or corrupt: every entry must be present and their
   * SHA-256 must match the one recorded at write time.
   */
  public static Checkpoint read(Path file) throws IOException {
    Map<String, byte[]> entries = new TreeMap<>();
    try (InputStream in = Files.newInputStream(file); ZipInputStream zip = new ZipInputStream(in)) {
      for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
        entries.put(e.getName(), zip.readAllBytes());
      }
    } catch (IOException | IllegalArgumentException e) {
      throw new IOException("unreadable checkpoint " + file.getFileName() + ": " + e.getMessage(), e);
    }
    if (entries.containsKey("holdout.bin") && !entries.containsKey("champion.bin")) {
      throw new UnsupportedFormat("checkpoint " + file.getFileName() + " is of trainer state format 1 (held-out samples"
          + " copied in); this trainer reads format " + TrainerState.FORMAT + ": start with a new --checkpoint-dir");
    }
    byte[][] parts = new byte[ENTRIES.length][];
    for (int i = 0; i < ENTRIES.length; i++) {
      parts[i] = entries.get(ENTRIES[i]);
      if (parts[i] == null) {
        throw new IOException("incomplete checkpoint " + file.getFileName() + ": no " + ENTRIES[i]);
      }
    }
    byte[] recorded = entries.get(CHECKSUM);
    String actual = checksum(parts);
    if (recorded == null || !actual.equals(new String(recorded, StandardCharsets.US_ASCII))) {
      throw new IOException("checkpoint " + file.getFileName() + " fails its SHA-256 check (recorded "
          + (recorded == null ? "none" : new String(recorded, StandardCharsets.US_ASCII)) + ", actual " + actual + ")");
    }
    Properties p = new Properties();
    p.load(new ByteArrayInputStream(parts[0]));
    try {
      return new Checkpoint(TrainerState.fromProperties(p, "checkpoint " + file.getFileName()), parts[1], parts[2]);
    } catch (RuntimeException e) {
      throw new IOException("checkpoint " + file.getFileName() + " has a state that does not parse: " + e.getMessage(), e);
    }
  }

  /** A checkpoint of a format this trainer does not read: not skipped (older ones would be of the same format). */
  public static final class UnsupportedFormat extends IOException {
    UnsupportedFormat(String message) {
      super(message);
    }
  }

  /** A checkpoint read from disk with its path. */
  public record Loaded(Path path, Checkpoint checkpoint) {}

  /**
   * The newest checkpoint in {@code dir} that reads and verifies, skipping (and reporting to
   * {@code skipped}) every newer one that does not. Empty if none is valid.
   */
  public static Optional<Loaded> newestValid(Path dir, BiConsumer<Path, String> skipped)
      throws IOException {
    List<Path> all = list(dir);
    for (int i = all.size() - 1; i >= 0; i--) {
      try {
        return Optional.of(new Loaded(all.get(i), read(all.get(i))));
      } catch (UnsupportedFormat e) {
        throw e;
      } catch (IOException | RuntimeException e) {
        skipped.accept(all.get(i), e.getMessage());
      }
    }
    return Optional.empty();
  }

  private static String checksum(byte[][] parts) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (byte[] part : parts) {
        md.update(ByteBuffer.allocate(8).putLong(part.length).array());
        md.update(part);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("JVM without SHA-256", e);
    }
  }

}
