package dev.streamfit.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The frozen part of a classifier, as a recipe: a pretrained {@code base} at {@code imageSize}, cut at the end of its
 * frozen blocks (all but the top {@code trainableBlocks}). Its {@link #hash()} names the computation: equal hashes give
 * equal activations for equal pixels, so activations computed by one process (the features stage) can be trained on by
 * another (the trainer); any change of base, weights, input size, cut or graph rewrite gives another hash. Immutable.
 *
 * @param base a pretrained base (a network trained from scratch has no frozen part)
 * @param imageSize input side, pixels (32–2048)
 * @param trainableBlocks top blocks of the base trained with the head, in [0, base.maxTrainableBlocks()]
 */
public record FrozenPrefix(BaseModel base, int imageSize, int trainableBlocks) {
  /** Version of the graph rewrite ({@link Models#optimizedBase}); part of the hash. */
  static final String REWRITE = "optimized-nchw-v1";
  private static final ConcurrentHashMap<BaseModel, String> WEIGHTS = new ConcurrentHashMap<>();

  public FrozenPrefix {
    Objects.requireNonNull(base, "base");
    if (!base.pretrained()) {
      throw new IllegalArgumentException("trainer.input features needs a pretrained base; " + base.id()
          + " trains every layer (set --trainer-input pixels, or --base mobilenetv2-0.35)");
    }
    if (imageSize < 32 || imageSize > 2048) {
      throw new IllegalArgumentException("trainer.image-size must be in [32, 2048], was " + imageSize + " (set --image-size)");
    }
    if (trainableBlocks < 0 || trainableBlocks > base.maxTrainableBlocks()) {
      throw new IllegalArgumentException("trainer.fine-tune-blocks must be in [0, " + base.maxTrainableBlocks() + "] for "
          + base.id() + ", was " + trainableBlocks + " (set --fine-tune-blocks)");
    }
  }

  /** The prefix of a classifier trained as {@code spec} on {@code base} at {@code imageSize}. */
  public static FrozenPrefix of(BaseModel base, int imageSize, TrainingSpec spec) {
    return new FrozenPrefix(base, imageSize, spec.trainableBlocks());
  }

  /** Name of the vertex whose output the prefix ends with (the top's input). */
  public String cut() {
    return cutOf(base, trainableBlocks);
  }

  /** The last frozen vertex of {@code base} with its top {@code trainableBlocks} blocks trained. */
  static String cutOf(BaseModel base, int trainableBlocks) {
    return trainableBlocks == 0 ? base.featureVertex()
        : base.blockEnds().get(base.blockEnds().size() - 1 - trainableBlocks);
  }

  /**
   * SHA-256 (hex, 64 chars) of base id, the bundled weights' SHA-256, graph rewrite version, input size and cut.
   * Reads the bundled weights once per base per JVM.
   */
  public String hash() {
    String weights = WEIGHTS.computeIfAbsent(base, FrozenPrefix::weightsHash);
    String recipe = String.join("\n", base.id(), weights, REWRITE, Integer.toString(imageSize), cut());
    return HexFormat.of().formatHex(sha256().digest(recipe.getBytes(StandardCharsets.UTF_8)));
  }

  /** Short form for logs and ids: the hash's first 12 hex digits. */
  public String shortHash() {
    return hash().substring(0, 12);
  }

  /** E.g. {@code mobilenetv2-0.35@224/block_14_add}. */
  public String describe() {
    return base.id() + "@" + imageSize + "/" + cut();
  }

  private static String weightsHash(BaseModel base) {
    MessageDigest md = sha256();
    try (InputStream in = Models.class.getResourceAsStream(base.resource())) {
      if (in == null) {
        throw new IllegalStateException("bundled weights missing from classpath: " + base.resource());
      }
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read bundled base " + base.id(), e);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
