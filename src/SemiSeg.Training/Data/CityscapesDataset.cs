using StbImageSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Data;

/// <summary>
/// Cityscapes in its real layout: root/leftImg8bit/{split}/{city}/{name}_leftImg8bit.png with labels
/// root/gtFine/{split}/{city}/{name}_gtFine_labelIds.png. Label ids map to the 19 train ids; everything else is
/// ignored (−1). Downsampling d divides both sides (2 = the paper's 1024x512): images bilinear with antialiasing (as
/// PIL's bilinear resize), labels nearest. Images are read lazily, one example at a time.
/// </summary>
public sealed class CityscapesDataset : IImageDataset
{
    public static readonly string[] ClassNames =
        ["road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign", "vegetation", "terrain",
         "sky", "person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle"];

    /// <summary>labelId → trainId (−1 = ignore), from the official cityscapesScripts table.</summary>
    public static readonly long[] TrainIdOfLabelId = BuildTrainIds();

    private readonly (string Image, string Label)[] _files;
    private readonly int _downsampling;

    public CityscapesDataset(string root, Split split, int downsampling)
    {
        string splitName = split == Split.Train ? "train" : "val";
        string imageRoot = Path.Combine(root, "leftImg8bit", splitName);
        if (!Directory.Exists(imageRoot))
        {
            throw new DataFormatException($"{imageRoot}: folder not found. Fix: set data.root to the Cityscapes folder that holds " +
                "leftImg8bit/{train,val}/CITY/*_leftImg8bit.png and gtFine/{train,val}/CITY/*_gtFine_labelIds.png.");
        }
        _files = Directory.EnumerateFiles(imageRoot, "*_leftImg8bit.png", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(image =>
            {
                string city = Path.GetFileName(Path.GetDirectoryName(image)!);
                string name = Path.GetFileName(image)[..^"_leftImg8bit.png".Length];
                string label = Path.Combine(root, "gtFine", splitName, city, $"{name}_gtFine_labelIds.png");
                if (!File.Exists(label))
                {
                    throw new DataFormatException($"{image}: its label file {label} is missing. Fix: unpack gtFine_trainvaltest next to leftImg8bit.");
                }
                return (image, label);
            })
            .ToArray();
        if (_files.Length == 0)
        {
            throw new DataFormatException($"{imageRoot}: no *_leftImg8bit.png images. Fix: unpack leftImg8bit_trainvaltest into data.root.");
        }
        _downsampling = downsampling;
        Info = new DatasetInfo("cityscapes", $"cityscapes:{splitName}:{_files.Length}:d={downsampling}", ClassNames, IsSegmentation: true);
    }

    public DatasetInfo Info { get; }
    public int Count => _files.Length;
    public IReadOnlyList<int>? ClassLabels => null;

    public LabeledImage Get(int index)
    {
        var (imagePath, labelPath) = _files[index];
        var image = Decode(imagePath, ColorComponents.RedGreenBlue);
        var label = Decode(labelPath, ColorComponents.Grey);
        if (label.SourceComp != ColorComponents.Grey)
        {
            throw new DataFormatException($"{labelPath}: label image has {(int)label.SourceComp} channels; *_gtFine_labelIds.png files are 8-bit single-channel. Fix: use the labelIds files, not the color or instanceIds ones.");
        }
        if (image.Width != label.Width || image.Height != label.Height)
        {
            throw new DataFormatException($"{labelPath}: label is {label.Width}x{label.Height} but its image {imagePath} is {image.Width}x{image.Height}. Fix: use matching leftImg8bit and gtFine files.");
        }
        using var scope = NewDisposeScope();
        var rgb = tensor(image.Data, [image.Height, image.Width, 3]).permute(2, 0, 1).to(ScalarType.Float32) / 255f;
        var ids = tensor(label.Data, [label.Height, label.Width]).to(ScalarType.Int64);
        var trainIds = tensor(TrainIdOfLabelId).index_select(0, ids.flatten()).view(label.Height, label.Width);
        if (_downsampling > 1)
        {
            long h = image.Height / _downsampling, w = image.Width / _downsampling;
            rgb = nn.functional.interpolate(rgb.unsqueeze(0), [h, w], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true).squeeze(0);
            trainIds = nn.functional.interpolate(trainIds.unsqueeze(0).unsqueeze(0).to(ScalarType.Float32), [h, w], mode: InterpolationMode.Nearest)
                .squeeze(0).squeeze(0).to(ScalarType.Int64);
        }
        return new LabeledImage(rgb.MoveToOuterDisposeScope(), trainIds.MoveToOuterDisposeScope());
    }

    private static ImageResult Decode(string path, ColorComponents components)
    {
        try
        {
            return ImageResult.FromMemory(File.ReadAllBytes(path), components);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // StbImageSharp reports a corrupt or truncated image with plain Exceptions of several kinds.
            throw new DataFormatException($"{path}: not a readable PNG ({e.Message}). Fix: re-extract the file from the Cityscapes archive.");
        }
    }

    private static long[] BuildTrainIds()
    {
        var table = Enumerable.Repeat(-1L, 256).ToArray();
        int[] labelIds = [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33];
        for (int trainId = 0; trainId < labelIds.Length; trainId++)
        {
            table[labelIds[trainId]] = trainId;
        }
        return table;
    }
}
