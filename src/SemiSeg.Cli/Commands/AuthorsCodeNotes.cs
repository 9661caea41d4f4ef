using System.Text.Json;
using SemiSeg.Training.Config;

namespace SemiSeg.Cli.Commands;

/// <summary>
/// Notes under a report's table for cells whose meaning differs between the paper's table and this implementation, so
/// that nobody compares them with the paper's numbers unawares. Read from the runs' canonical configs.
/// </summary>
public static class AuthorsCodeNotes
{
    public const string PrincipledMeanTeacherOneWayPerturbTeacher =
        "The Mean Teacher 1w-pt cell (teacher mt, variant 1w-pt) is the principled perturbed-teacher Mean Teacher: the EMA teacher sees the perturbed input and the student learns on the clean one. The paper's table has no such cell: in the authors' code the MT-1w-pt gradient goes into the EMA teacher, which no optimizer updates, so their MT-1w-pt equals supervised training (61.5 = 61.5 on Cityscapes at 1/4). Do not compare this cell with the paper's; variant 1w-pt-vidlu is the authors' version.";

    public const string AuthorsMeanTeacherOneWayPerturbTeacher =
        "The 1w-pt-vidlu cell is the authors' code's MT-1w-pt (the paper's MT 1w-pt cell): the student's output on the perturbed input is the target, and the gradient goes into the EMA teacher's output on the clean input, which no optimizer updates. The student learns from the supervised loss only, so this cell measures supervised training (bit-identical runs when algorithm.update_bn_on_perturbed is false).";

    /// <summary>The notes that apply to a sweep whose runs have these canonical configs (config.json text).</summary>
    public static IReadOnlyList<string> For(IEnumerable<string> configJsons)
    {
        bool principled = false, authors = false;
        foreach (string json in configJsons)
        {
            var (teacher, variant) = TeacherAndVariant(json);
            principled |= teacher == TeacherNames.MeanTeacher && variant == VariantNames.OneWayPerturbTeacher;
            authors |= teacher == TeacherNames.MeanTeacher && variant == VariantNames.OneWayPerturbTeacherVidlu;
        }
        var notes = new List<string>();
        if (principled)
        {
            notes.Add(PrincipledMeanTeacherOneWayPerturbTeacher);
        }
        if (authors)
        {
            notes.Add(AuthorsMeanTeacherOneWayPerturbTeacher);
        }
        return notes;
    }

    /// <summary>algorithm.teacher and algorithm.variant, read without validating the whole config (a report must not
    /// depend on, e.g., a pretrained-weights file existing on the machine that writes it).</summary>
    private static (string? Teacher, string? Variant) TeacherAndVariant(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (!document.RootElement.TryGetProperty("algorithm", out var algorithm) || algorithm.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }
            string? Text(string name) => algorithm.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return (Text("teacher"), Text("variant"));
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}
