package dev.streamfit.engine;

/**
 * Width and depth of the network trained from scratch ({@link BaseModel#SCRATCH_CNN}): {@code blocks} blocks of
 * convolution → batch normalization → ReLU → 2x2 max pooling, {@code width} filters in the first, doubling per block.
 * Immutable; validated on construction.
 *
 * @param width filters of the first block, in [4, 256]
 * @param blocks convolution blocks, in [1, 6]; the input side must be at least 2^blocks
 */
public record ScratchShape(int width, int blocks) {
  /** 16 filters, 3 blocks (16, 32, 64). */
  public static final ScratchShape DEFAULT = new ScratchShape(16, 3);

  public ScratchShape {
    if (width < 4 || width > 256) {
      throw new IllegalArgumentException("trainer.scratch-width must be in [4, 256], was " + width + " (set --scratch-width)");
    }
    if (blocks < 1 || blocks > 6) {
      throw new IllegalArgumentException("trainer.scratch-blocks must be in [1, 6], was " + blocks + " (set --scratch-blocks)");
    }
    if ((long) width << (blocks - 1) > 2048) {
      throw new IllegalArgumentException("trainer.scratch-width " + width + " doubled over " + blocks + " blocks gives "
          + ((long) width << (blocks - 1)) + " filters, more than 2048 (lower --scratch-width or --scratch-blocks)");
    }
  }

  /** Filters of the last block: the length of the feature vector. */
  public int featureSize() {
    return width << (blocks - 1);
  }

  /** Throws IllegalArgumentException when an input of {@code side} px is too small for the poolings. */
  public void validateFor(int side) {
    if (side >> blocks < 1) {
      throw new IllegalArgumentException("trainer.image-size " + side + " is too small for " + blocks + " scratch blocks"
          + " (each halves it): use --image-size " + (1 << blocks) + " or more, or fewer --scratch-blocks");
    }
  }
}
