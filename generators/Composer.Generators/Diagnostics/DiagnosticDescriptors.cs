using Microsoft.CodeAnalysis;

namespace Composer.Generators.Diagnostics;

/// <summary>The diagnostics of the Composer generator. Ids are stable: never reuse or renumber one.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Composer.Trainer";

    public static readonly DiagnosticDescriptor WrongHandlerSignature = new(
        "CMP0001",
        "[OnEvent] method has the wrong signature",
        "[OnEvent] method '{0}' must return void and take (State) or (State, Logger)",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor StaticHandler = new(
        "CMP0002",
        "[OnEvent] method is static",
        "[OnEvent] method '{0}' is static; make it an instance method, since the trainer calls it on the instance it is given",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor GenericHandler = new(
        "CMP0003",
        "[OnEvent] method is generic",
        "[OnEvent] method '{0}' is generic; the trainer cannot choose its type arguments, so remove them",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InaccessibleHandler = new(
        "CMP0004",
        "[OnEvent] method is not accessible to the trainer",
        "[OnEvent] method '{0}' is {1}; make it public or internal so that the generated trainer can call it",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor TrainerNotPartial = new(
        "CMP0005",
        "Trainer class is not partial",
        "Trainer class '{0}' must be declared partial so that the generator can add its Fit and Eval methods",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor TrainerNestedOrGeneric = new(
        "CMP0006",
        "Trainer class is nested or generic",
        "Trainer class '{0}' must be a non-generic class declared directly in a namespace",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor TrainerHasBaseClass = new(
        "CMP0007",
        "Trainer class declares a base class",
        "Trainer class '{0}' derives from '{1}'; remove the base class, since the generated part derives from Composer.Trainer",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DuplicateMember = new(
        "CMP0008",
        "Trainer member is listed more than once",
        "'{0}' is listed more than once in [Trainer] on '{1}'; list each algorithm or callback once",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidMember = new(
        "CMP0009",
        "Trainer member is not an algorithm or callback class",
        "'{0}' cannot be a member of trainer '{1}': list closed, non-static classes that derive from Composer.Core.Algorithm or Composer.Core.Callback",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MemberWithoutHandlers = new(
        "CMP0010",
        "Trainer member has no [OnEvent] method",
        "'{0}' has no [OnEvent] method, so trainer '{1}' never calls it; subscribe a method with [OnEvent(Event.X)] or remove it from the list (logger destinations are exempt: the Logger reaches them)",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor LossInterpolatedTwice = new(
        "CMP0011",
        "Two members interpolate the loss",
        "'{0}' and '{1}' both interpolate the loss in trainer '{2}' (both are created with loss interpolation on), which Composer warns can lead to unexpected behavior; turn interpolation off in one, or suppress CMP0011 if this is intended",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor IncompatibleMembers = new(
        "CMP0012",
        "Trainer combines members that declare themselves incompatible",
        "'{0}' cannot be combined with '{1}' in trainer '{2}': {3}. Remove one of them from the list.",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor OrderingCycle = new(
        "CMP0013",
        "RunsBefore/RunsAfter constraints form a cycle",
        "At Event.{0} the RunsBefore/RunsAfter constraints of trainer '{1}' form a cycle: {2}. Remove one of the constraints or one of the members.",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidTimeString = new(
        "CMP0014",
        "Time string does not parse",
        "{0}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor EventNeverRaised = new(
        "CMP0015",
        "Handler on an event the trainer never raises",
        "'{0}' handles Event.{1}, which trainer '{2}' never raises: no iteration length is set (Composer's default), so iterations never end. Subscribe to EpochEnd or FitEnd instead.",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DeviceSyncPerBatch = new(
        "CMP0016",
        "A handler of every training batch reads a tensor back from the device",
        "'{0}' on a tensor from State waits for the device in '{1}', which runs every batch at Event.{2}: log the tensor with logger.LogTensorMetrics (read every LogInterval batches), or read it less often",
        "Composer.Performance", DiagnosticSeverity.Info, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedCheckpointedField = new(
        "CMP0017",
        "[Checkpointed] field of a type the checkpoint cannot store",
        "[Checkpointed] field '{0}' is a {1}, which the checkpoint cannot store: use a number, bool, enum, string, Tensor, an array of numbers or strings, or a List<Tensor>; or implement IStateful for it yourself",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor CheckpointedTypeNotPartial = new(
        "CMP0018",
        "A class with [Checkpointed] fields is not partial, nested, or already stateful",
        "'{0}' has [Checkpointed] fields, so the generator writes its IStateful code: {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor StateNotCheckpointed = new(
        "CMP0019",
        "A handler accumulates into a field that no checkpoint keeps",
        "'{0}' accumulates into field '{1}' at Event.{2}, but '{3}' takes no part in checkpointing, so a resumed run starts it over: mark the field [Checkpointed] (and the class partial), or implement IStateful",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor TensorFreedWithTheScope = new(
        "CMP0020",
        "A tensor made in a handler is kept in a field but freed with the batch",
        "The tensor stored in '{0}' is made inside '{1}', whose dispose scope frees it when the batch (or epoch) ends; the next use reads freed memory. Call .DetachFromDisposeScope() on it, and dispose it yourself when it is replaced.",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor PredictNeverCalled = new(
        "CMP0021",
        "Handler on a Predict event of a trainer the program never predicts with",
        "'{0}' handles Event.{1}, but this program never calls Predict on trainer '{2}', so it never runs. Call Predict, or remove the member or its [OnEvent].",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, customTags: WellKnownDiagnosticTags.CompilationEnd);
}
