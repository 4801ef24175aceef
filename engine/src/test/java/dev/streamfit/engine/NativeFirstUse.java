package dev.streamfit.engine;

import dev.streamfit.imaging.DecodeLimits;
import dev.streamfit.imaging.ImageDecoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * A fresh JVM's first use of every native library from several threads at once, as a default run does:
 * the trainer opens the Keras base (HDF5), serving's registry thread loads a model (ND4J), the
 * augment stage decodes (OpenCV, TurboJPEG) and Kafka clients create threads — all released together.
 * With {@code preload}, {@link Natives#load()} runs first on the main thread, as the stages' {@code start}
 * and the CLI do. Prints {@code native first use ok} and exits 0 when every thread finished.
 */
public final class NativeFirstUse {
  private NativeFirstUse() {}

  /** File names of the shared libraries mapped into this process now (Linux). */
  static java.util.Set<String> mappedLibraries() throws java.io.IOException {
    java.util.Set<String> libs = new java.util.HashSet<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
      int slash = line.indexOf('/');
      if (slash >= 0 && line.contains(".so")) {
        libs.add(Path.of(line.substring(slash)).getFileName().toString());
      }
    }
    return libs;
  }

  public static void main(String[] args) throws Exception {
    boolean preload = args.length > 0 && args[0].equals("preload");
    Path root = Path.of(System.getProperty("streamfit.root", ".."));
    Path jpeg;
    try (Stream<Path> s = Files.walk(root.resolve("data/clothing-sample/test"))) {
      jpeg = s.filter(f -> f.toString().endsWith(".jpg")).sorted().findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(jpeg);
    if (preload) {
      Natives.load();
    }
    java.util.Set<String> before = mappedLibraries();
    CountDownLatch go = new CountDownLatch(1);
    List<Runnable> work = List.of(
        () -> { // HDF5, as the trainer's Keras import of the base
          try (var in = Models.class.getResourceAsStream(BaseModel.MOBILENET_V2_035.resource())) {
            Path h5 = Files.createTempFile("first-use-", ".h5");
            try {
              Files.copy(in, h5, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
              var archive = new org.deeplearning4j.nn.modelimport.keras.Hdf5Archive(h5.toString());
              try {
                archive.readAttributeAsJson("model_config");
              } finally {
                archive.close();
              }
            } finally {
              Files.deleteIfExists(h5);
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        },
        () -> {
          try (var a = org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 4, 4)) {
            a.mmul(a).close(); // ND4J + BLAS, as serving's registry thread
          }
        },
        () -> {
          try (var m = new ImageDecoder(DecodeLimits.defaults()).decodeRgb(bytes)) { // TurboJPEG / OpenCV
            org.bytedeco.opencv.global.opencv_imgproc.resize(m, m, new org.bytedeco.opencv.opencv_core.Size(32, 32));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        },
        () -> {
          try (var m = org.bytedeco.opencv.global.opencv_imgcodecs.imdecode(
              new org.bytedeco.opencv.opencv_core.Mat(new org.bytedeco.javacpp.BytePointer(bytes)), 1)) {
            m.rows();
          }
        },
        () -> { // Kafka clients, the broker and Streams create threads all the time
          for (int i = 0; i < 300; i++) {
            Thread t = new Thread(() -> { });
            t.start();
            try {
              t.join();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
          }
        });
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < work.size(); i++) {
      Runnable r = work.get(i);
      Thread t = new Thread(() -> {
        try {
          go.await();
          r.run();
        } catch (Throwable e) {
          failures.add(e);
        }
      }, "first-use-" + i);
      t.start();
      threads.add(t);
    }
    go.countDown();
    for (Thread t : threads) {
      t.join();
    }
    if (!failures.isEmpty()) {
      failures.get(0).printStackTrace();
      System.exit(2);
    }
    java.util.Set<String> after = mappedLibraries();
    after.removeAll(before);
    System.out.println("loaded during the concurrent first use: " + new java.util.TreeSet<>(after));
    System.out.println("native first use ok (" + (preload ? "preloaded" : "no preload") + ")");
  }
}
