package dev.streamfit.engine;

import java.util.List;

/**
 * What one layer of a classifier computed for an image: its first channels, each a {@code rows} x {@code cols} map
 * scaled to [0, 1] on its own (min to max; all 0 for a constant channel), row-major. Immutable.
 *
 * @param layer the layer's name
 * @param channels the layer's channel count (the maps hold at most the first few)
 * @param maps one array of {@code rows * cols} values per returned channel
 */
public record FeatureMaps(String layer, int channels, int rows, int cols, List<double[]> maps) {
  public FeatureMaps {
    maps = maps.stream().map(double[]::clone).toList();
  }
}
