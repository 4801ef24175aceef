package dev.streamfit.testkit;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Image payloads for tests of every stage that takes images from outside: hostile ones (which a guarded
 * decoder must refuse with a reason) and valid but unusual ones (which it must accept). Built with the
 * JDK only, deterministic. Stateless.
 */
public final class TestImages {
  private TestImages() {}

  /** The ten classes of the bundled clothing sample, in alphabetical (Keras flow_from_directory) order. */
  public static final List<String> CLOTHING_LABELS = List.of("dress", "hat", "longsleeve", "outwear",
      "pants", "shirt", "shoes", "shorts", "skirt", "t-shirt");

  /** A real JPEG of the bundled sample ({@code data/clothing-sample/<split>/<label>}, first in name order). */
  public static byte[] sampleJpeg(String split, String label) {
    Path dir = Path.of(System.getProperty("streamfit.root", "..")).resolve("data/clothing-sample").resolve(split).resolve(label);
    try (Stream<Path> s = Files.list(dir)) {
      return Files.readAllBytes(s.sorted().findFirst().orElseThrow());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Path of the first sample image of {@code split/label}. */
  public static Path samplePath(String split, String label) {
    Path dir = Path.of(System.getProperty("streamfit.root", "..")).resolve("data/clothing-sample").resolve(split).resolve(label);
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().findFirst().orElseThrow().toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Payloads a guarded decoder must refuse, by name: empty, random, truncated JPEG, header-only JPEG,
   * a PNG declaring 100000x100000, a real ~100 KB PNG bomb (10000x10000), an animated GIF, a TIFF, and decode-cost
   * bombs: a PNG whose first IHDR declares 16384x16384 and a second one 16x16 ({@code ihdr-disagrees}), a PNG whose
   * IHDR is not its first chunk ({@code ihdr-not-first}), a progressive JPEG with 3000 scans ({@code many-scans}),
   * and a truncated JPEG with a trailer after it ({@code truncated-with-trailer}).
   */
  public static Map<String, byte[]> hostile() {
    byte[] jpeg = sampleJpeg("test", "hat");
    byte[] random = new byte[4096];
    new Random(1).nextBytes(random);
    random[0] = 0x12;
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("empty", new byte[0]);
    m.put("random", random);
    m.put("truncated", Arrays.copyOf(jpeg, jpeg.length / 2));
    m.put("header-only", Arrays.copyOf(jpeg, 200));
    m.put("declared-huge", pngHeader(100_000, 100_000));
    m.put("bomb", pngBomb(10_000, 10_000));
    m.put("gif", new byte[] {'G', 'I', 'F', '8', '9', 'a', 2, 0, 2, 0, 0, 0, 0, '!', (byte) 0xFF, 11, 'N', 'E', 'T', 'S', 'C',
        'A', 'P', 'E', '2', '.', '0', 3, 1, 0, 0, 0, ';'});
    m.put("tiff", new byte[] {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 0});
    m.put("ihdr-disagrees", pngHeaderDisagrees());
    m.put("ihdr-not-first", pngIhdrNotFirst());
    m.put("many-scans", manyScans(progressiveJpeg(gradient(64, 48, BufferedImage.TYPE_3BYTE_BGR)), 3000));
    byte[] cut = Arrays.copyOf(jpeg, jpeg.length / 2);
    m.put("truncated-with-trailer", concat(cut, new byte[] {0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'm', 'p', '4', '2'}));
    return m;
  }

  /**
   * Valid JPEGs as phones and transfers write them, by name: a Motion Photo (an MP4 appended after the image's
   * end-of-image marker, itself holding FFD9 bytes), a Samsung metadata trailer, CR/LF appended, zero padding, a
   * progressive JPEG with a trailer. Each must be accepted as the image before its trailer.
   */
  public static Map<String, byte[]> phoneStyle() {
    byte[] jpeg = sampleJpeg("test", "hat");
    byte[] mp4 = new byte[4096];
    new Random(7).nextBytes(mp4);
    byte[] box = {0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'm', 'p', '4', '2', 0, 0, 0, 0, 'i', 's', 'o', 'm', 'm', 'p', '4', '2'};
    System.arraycopy(box, 0, mp4, 0, box.length);
    mp4[100] = (byte) 0xFF;
    mp4[101] = (byte) 0xD9;
    byte[] sef = ("SEFH" + "\0".repeat(12) + "MotionPhoto_Data" + "SEFT").getBytes(StandardCharsets.ISO_8859_1);
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("motion-photo", concat(jpeg, mp4));
    m.put("samsung-trailer", concat(jpeg, sef));
    m.put("crlf", concat(jpeg, new byte[] {'\r', '\n'}));
    m.put("zero-padding", concat(jpeg, new byte[64]));
    m.put("progressive-with-trailer", concat(progressiveJpeg(gradient(80, 60, BufferedImage.TYPE_3BYTE_BGR)), mp4));
    return m;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** A progressive JPEG (libjpeg's default scan script) of {@code img}, via ImageIO. */
  public static byte[] progressiveJpeg(BufferedImage img) {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      ImageWriteParam p = writer.getDefaultWriteParam();
      p.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
      writer.write(null, new IIOImage(img, null, null), p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  /** {@code jpeg} with its last scan (SOS segment and entropy data) repeated until it has {@code scans} more. */
  public static byte[] manyScans(byte[] jpeg, int scans) {
    int lastSos = -1;
    for (int i = 2; i + 1 < jpeg.length; i++) {
      if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == 0xDA) {
        lastSos = i;
      }
    }
    int eoi = jpeg.length - 2;
    byte[] scan = Arrays.copyOfRange(jpeg, lastSos, eoi);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, eoi);
    for (int k = 0; k < scans; k++) {
      out.write(scan, 0, scan.length);
    }
    out.write(jpeg, eoi, 2);
    return out.toByteArray();
  }

  /** A PNG whose first IHDR declares 16384x16384 (what libpng reads) and whose second declares 16x16. */
  private static byte[] pngHeaderDisagrees() {
    byte[] small = pngBomb(16, 16);
    ByteBuffer b = ByteBuffer.allocate(small.length + 25 + 64);
    b.put(small, 0, 8);
    chunk(b, "IHDR", ihdr(16384, 16384));
    chunk(b, "IDAT", new byte[] {0x78, (byte) 0x9C, 0x63, 0, 0, 0, 1, 0, 1});
    b.put(small, 8, small.length - 8); // IHDR 16x16, IDAT, IEND
    return Arrays.copyOf(b.array(), b.position());
  }

  /** A 16x16 PNG with a text chunk before its IHDR. */
  private static byte[] pngIhdrNotFirst() {
    byte[] small = pngBomb(16, 16);
    ByteBuffer b = ByteBuffer.allocate(small.length + 64);
    b.put(small, 0, 8);
    chunk(b, "tEXt", "Comment\0hello".getBytes(StandardCharsets.ISO_8859_1));
    b.put(small, 8, small.length - 8);
    return Arrays.copyOf(b.array(), b.position());
  }

  /**
   * Valid but unusual images, by name: grayscale JPEG, CMYK JPEG, PNG with alpha, 16-bit PNG, EXIF-rotated
   * JPEG, tiny 12x16 JPEG, large 4000x5000 JPEG.
   */
  public static Map<String, byte[]> unusual() {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("grayscale", encode(gradient(64, 48, BufferedImage.TYPE_BYTE_GRAY), "jpeg"));
    m.put("cmyk", cmykJpeg(12, 16));
    m.put("alpha", encode(gradient(40, 30, BufferedImage.TYPE_4BYTE_ABGR), "png"));
    m.put("16-bit", encode(gradient(40, 30, BufferedImage.TYPE_USHORT_GRAY), "png"));
    m.put("exif-rotated", withExifOrientation(encode(gradient(20, 10, BufferedImage.TYPE_3BYTE_BGR), "jpeg"), 6));
    m.put("tiny", encode(gradient(12, 16, BufferedImage.TYPE_3BYTE_BGR), "jpeg"));
    m.put("large", encode(gradient(4000, 5000, BufferedImage.TYPE_3BYTE_BGR), "jpeg"));
    return m;
  }

  private static BufferedImage gradient(int w, int h, int type) {
    BufferedImage img = new BufferedImage(w, h, type);
    WritableRaster r = img.getRaster();
    int bands = r.getNumBands();
    int max = r.getSampleModel().getSampleSize(0) == 16 ? 65535 : 255;
    int[] px = new int[bands];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int b = 0; b < bands; b++) {
          px[b] = b == 3 ? max / 2 : (int) ((long) max * ((x + y * (b + 1)) % (w + h)) / (w + h));
        }
        r.setPixel(x, y, px);
      }
    }
    return img;
  }

  /**
   * A dataset that is not the clothing one, written to {@code dir} as {@code <split>/<class>/<image>}: three
   * classes ({@code circle}, {@code square}, {@code triangle}: a bright shape on a dark, noisy background),
   * grayscale, sizes 72–260 px and not square, PNG with every third image a grayscale JPEG.
   * {@code perClass} images per class in train, a third of that (at least 2) in validation and in test.
   * Deterministic for a seed.
   *
   * @return {@code dir}
   */
  public static Path shapesDataset(Path dir, int perClass, long seed) {
    return shapesDataset(dir, perClass, seed, 0);
  }

  /**
   * As {@link #shapesDataset(Path, int, long)}; with {@code side > 0} every image is {@code side}x{@code side} and
   * PNG (e.g. 28 for an MNIST-sized set).
   */
  public static Path shapesDataset(Path dir, int perClass, long seed, int side) {
    Random r = new Random(seed);
    String[] classes = {"circle", "square", "triangle"};
    Map<String, Integer> splits = new LinkedHashMap<>();
    splits.put("train", perClass);
    splits.put("validation", Math.max(2, perClass / 3));
    splits.put("test", Math.max(2, perClass / 3));
    int n = 0;
    try {
      for (var split : splits.entrySet()) {
        for (int c = 0; c < classes.length; c++) {
          Path d = dir.resolve(split.getKey()).resolve(classes[c]);
          Files.createDirectories(d);
          for (int i = 0; i < split.getValue(); i++, n++) {
            int w = side > 0 ? side : 72 + r.nextInt(190);
            int h = side > 0 ? side : 72 + r.nextInt(190);
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
            Graphics2D g = img.createGraphics();
            g.setColor(new Color(20 + r.nextInt(40), 20 + r.nextInt(40), 20 + r.nextInt(40)));
            g.fillRect(0, 0, w, h);
            for (int k = 0; k < Math.max(4, w * h / 40); k++) {
              int v = r.nextInt(90);
              g.setColor(new Color(v, v, v));
              g.fillRect(r.nextInt(w), r.nextInt(h), 1, 1);
            }
            int s = (int) (Math.min(w, h) * (0.45 + 0.35 * r.nextDouble()));
            int x = r.nextInt(Math.max(1, w - s));
            int y = r.nextInt(Math.max(1, h - s));
            int v = 170 + r.nextInt(85);
            g.setColor(new Color(v, v, v));
            switch (c) {
              case 0 -> g.fillOval(x, y, s, s);
              case 1 -> g.fillRect(x, y, s, s);
              default -> g.fillPolygon(new int[] {x, x + s, x + s / 2}, new int[] {y + s, y + s, y}, 3);
            }
            g.dispose();
            boolean jpeg = side == 0 && n % 3 == 2;
            Files.write(d.resolve(String.format("%s-%03d.%s", classes[c], i, jpeg ? "jpg" : "png")),
                encode(img, jpeg ? "jpeg" : "png"));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  /** Encodes with ImageIO ({@code jpeg} or {@code png}). */
  public static byte[] encode(BufferedImage img, String format) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(img, format, out)) {
        throw new IllegalStateException("no ImageIO writer for " + format + " and image type " + img.getType());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** A 4-component JPEG without an Adobe marker (libjpeg reads it as CMYK). */
  public static byte[] cmykJpeg(int w, int h) {
    WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, w, h, 4, null);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        raster.setPixel(x, y, new int[] {0, 255, 255, 0});
      }
    }
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.write(null, new IIOImage(raster, null, null), null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  /** Inserts an APP1 Exif segment (big-endian TIFF, one IFD entry: Orientation) after SOI. */
  public static byte[] withExifOrientation(byte[] jpeg, int orientation) {
    ByteBuffer tiff = ByteBuffer.allocate(26);
    tiff.put(new byte[] {'M', 'M', 0, 42}).putInt(8).putShort((short) 1)
        .putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0).putInt(0);
    byte[] exif = new byte[6 + tiff.capacity()];
    System.arraycopy(new byte[] {'E', 'x', 'i', 'f', 0, 0}, 0, exif, 0, 6);
    System.arraycopy(tiff.array(), 0, exif, 6, tiff.capacity());
    ByteBuffer out = ByteBuffer.allocate(jpeg.length + 4 + exif.length);
    out.put(jpeg, 0, 2).put((byte) 0xFF).put((byte) 0xE1).putShort((short) (exif.length + 2)).put(exif)
        .put(jpeg, 2, jpeg.length - 2);
    return out.array();
  }

  /** A PNG whose IHDR declares {@code w}x{@code h}, with one empty IDAT and IEND. */
  public static byte[] pngHeader(int w, int h) {
    ByteBuffer b = ByteBuffer.allocate(8 + 25 + 13 + 12);
    b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    chunk(b, "IHDR", ihdr(w, h));
    chunk(b, "IDAT", new byte[] {0});
    chunk(b, "IEND", new byte[0]);
    return Arrays.copyOf(b.array(), b.position());
  }

  /** A real PNG of {@code w}x{@code h} grey pixels, all zero: tiny on disk, huge decoded. */
  public static byte[] pngBomb(int w, int h) {
    Deflater d = new Deflater(9);
    byte[] row = new byte[w + 1];
    ByteArrayOutputStream z = new ByteArrayOutputStream();
    byte[] buf = new byte[1 << 16];
    for (int y = 0; y < h; y++) {
      d.setInput(row);
      while (!d.needsInput()) {
        int n = d.deflate(buf);
        z.write(buf, 0, n);
      }
    }
    d.finish();
    while (!d.finished()) {
      int n = d.deflate(buf);
      z.write(buf, 0, n);
    }
    d.end();
    byte[] idat = z.toByteArray();
    ByteBuffer b = ByteBuffer.allocate(8 + 25 + 12 + idat.length + 12);
    b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    chunk(b, "IHDR", ihdr(w, h));
    chunk(b, "IDAT", idat);
    chunk(b, "IEND", new byte[0]);
    return Arrays.copyOf(b.array(), b.position());
  }

  private static byte[] ihdr(int w, int h) {
    return ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0)
        .put((byte) 0).array();
  }

  /** Appends a PNG chunk with its CRC. */
  public static void chunk(ByteBuffer b, String type, byte[] data) {
    b.putInt(data.length);
    byte[] t = type.getBytes(StandardCharsets.US_ASCII);
    b.put(t).put(data);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    b.putInt((int) crc.getValue());
  }
}
