package dev.streamfit.trainer.internal;

import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * One trainer checkpoint on disk: a zip holding the model with its updater state ({@code model.bin}),
 * the counters and consumer offsets ({@code state.properties}) and the held-out evaluation samples
 * ({@code holdout.bin}). Written atomically (temp file, fsync, rename, directory fsync).
 *
 * @param step optimisation steps so far
 * @param samplesTrained train samples consumed
 * @param version last published version (0 if none)
 * @param originOffsets first offset ever consumed per partition key {@code topic:partition}
 * @param nextOffsets next offset to consume per partition key
 * @param model serialised graph with updater
 * @param holdout validation and test samples seen so far
 */
public record Checkpoint(long step, long samplesTrained, long version, Map<String, Long> originOffsets,
    Map<String, Long> nextOffsets, byte[] model, List<AugmentedSample> holdout) {
  private static final AvroSerde<AugmentedSample> SAMPLE = AvroSerde.of(AugmentedSample.class);
  private static final String PREFIX = "ckpt-";

  /** Writes this checkpoint into {@code dir} and returns its path. Keeps the newest {@code keep}. */
  public Path write(Path dir, int keep) throws IOException {
    Files.createDirectories(dir);
    Path target = dir.resolve(String.format("%s%012d.zip", PREFIX, step));
    Path tmp = dir.resolve(target.getFileName() + ".tmp");
    try (OutputStream fos = Files.newOutputStream(tmp); ZipOutputStream zip = new ZipOutputStream(fos)) {
      zip.putNextEntry(new ZipEntry("state.properties"));
      Properties p = new Properties();
      p.setProperty("step", String.valueOf(step));
      p.setProperty("samplesTrained", String.valueOf(samplesTrained));
      p.setProperty("version", String.valueOf(version));
      originOffsets.forEach((k, v) -> p.setProperty("origin." + k, String.valueOf(v)));
      nextOffsets.forEach((k, v) -> p.setProperty("next." + k, String.valueOf(v)));
      p.store(zip, "streamfit trainer checkpoint");
      zip.closeEntry();
      zip.putNextEntry(new ZipEntry("model.bin"));
      zip.write(model);
      zip.closeEntry();
      zip.putNextEntry(new ZipEntry("holdout.bin"));
      DataOutputStream out = new DataOutputStream(zip);
      out.writeInt(holdout.size());
      for (AugmentedSample s : holdout) {
        byte[] b = SAMPLE.encode(s);
        out.writeInt(b.length);
        out.write(b);
      }
      out.flush();
      zip.closeEntry();
    }
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException ignored) {
      // directory fsync is not supported everywhere
    }
    List<Path> all = list(dir);
    for (int i = 0; i < all.size() - keep; i++) {
      Files.deleteIfExists(all.get(i));
    }
    return target;
  }

  /** Checkpoint files in {@code dir}, oldest first. Stale temp files are deleted. */
  public static List<Path> list(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, PREFIX + "*")) {
      for (Path p : ds) {
        if (p.toString().endsWith(".tmp")) {
          Files.deleteIfExists(p);
        } else if (p.toString().endsWith(".zip")) {
          out.add(p);
        }
      }
    }
    out.sort(null);
    return out;
  }

  /** Reads a checkpoint; throws if it is incomplete or corrupt. */
  public static Checkpoint read(Path file) throws IOException {
    Properties p = new Properties();
    byte[] model = null;
    List<AugmentedSample> holdout = null;
    try (InputStream in = Files.newInputStream(file); ZipInputStream zip = new ZipInputStream(in)) {
      for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
        byte[] data = zip.readAllBytes();
        switch (e.getName()) {
          case "state.properties" -> p.load(new ByteArrayInputStream(data));
          case "model.bin" -> model = data;
          case "holdout.bin" -> holdout = readHoldout(data);
          default -> { }
        }
      }
    }
    if (model == null || holdout == null || p.getProperty("step") == null) {
      throw new IOException("incomplete checkpoint " + file);
    }
    Map<String, Long> origin = new TreeMap<>();
    Map<String, Long> next = new TreeMap<>();
    for (String k : p.stringPropertyNames()) {
      if (k.startsWith("origin.")) {
        origin.put(k.substring(7), Long.parseLong(p.getProperty(k)));
      } else if (k.startsWith("next.")) {
        next.put(k.substring(5), Long.parseLong(p.getProperty(k)));
      }
    }
    return new Checkpoint(Long.parseLong(p.getProperty("step")), Long.parseLong(p.getProperty("samplesTrained")),
        Long.parseLong(p.getProperty("version")), origin, next, model, holdout);
  }

  private static List<AugmentedSample> readHoldout(byte[] data) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
    int n = in.readInt();
    List<AugmentedSample> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] b = new byte[in.readInt()];
      in.readFully(b);
      out.add(SAMPLE.decode(b));
    }
    return out;
  }

}
