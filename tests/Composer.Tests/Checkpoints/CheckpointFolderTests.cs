using Composer.Algorithms;
using Composer.Callbacks;
using Composer.Checkpoints;
using Composer.Core;

namespace Composer.Tests.Checkpoints;

/// <summary>
/// A run folder is data: copying it to branch an experiment, moving it to another disk, or loading one of its
/// checkpoints into another run must never delete a file outside the folder the saver writes to now.
/// </summary>
public class CheckpointFolderTests : FolderTests
{
    // Saves every 2 batches keeping 3: stopping after batch 10 leaves ba6, ba8, ba10 and the link.
    private string StoppedRun(int keep = 3)
    {
        string folder = Folder();
        CheckpointSetup.Trainer(CheckpointSetup.Options(), folder, new Interruption(stopAfterBatch: 10), saveInterval: "2ba", keep: keep).Fit();
        Assert.That(CheckpointSetup.Snapshot(folder).Keys, Is.EqualTo(Expected(keep, 10)), "the original run");
        return folder;
    }

    // The newest `keep` of the saves at every second batch up to `last` (and at 15, the end), plus the link. The
    // epoch is the one in progress: a batch checkpoint comes before its EpochEnd, the end save after it.
    private static string[] Expected(int keep, int last) =>
        Enumerable.Range(1, last).Where(b => b % 2 == 0 || b == 15).TakeLast(keep)
            .Select(b => $"ep{(b == 15 ? 3 : (b - 1) / CheckpointSetup.BatchesPerEpoch)}-ba{b}.ckpt")
            .Append("latest.ckpt").Order(StringComparer.Ordinal).ToArray();

    private static ResumableTrainer Resume(string folder, int keep = 3) =>
        CheckpointSetup.Trainer(CheckpointSetup.Options(autoresume: true), folder, saveInterval: "2ba", keep: keep);

    [Test]
    public void ARerunRemovesTheTemporaryFilesOfItsOwnInterruptedWritesAndNothingElse()
    {
        string folder = StoppedRun();
        string id = "0123456789abcdef0123456789abcdef";
        // What a kill during a write leaves: a part of a checkpoint, or of the latest link, under a temporary name.
        string[] own = [$"ep1-ba12.ckpt.tmp-{id}", $"latest.ckpt.tmp-{id}"];
        string[] foreign = [$"notes.txt.tmp-{id}", "ep1-ba12.ckpt.tmp-mine", $"ep1-ba12.ckpt.bak.tmp-{id}"];
        foreach (string name in own.Concat(foreign))
            File.WriteAllBytes(Path.Combine(folder, name), [0x50, 0x4b, 0x03]);
        var before = CheckpointSetup.Snapshot(folder);

        var errors = new StringWriter();
        TextWriter console = Console.Error;
        Console.SetError(errors);
        try
        {
            Resume(folder).Fit();
        }
        finally
        {
            Console.SetError(console);
        }

        string[] left = [.. Directory.GetFiles(folder).Select(Path.GetFileName)!];
        Assert.That(left, Has.None.AnyOf(own), "the saver's own temporary files are gone");
        Assert.That(left, Is.SupersetOf(foreign), "files it did not name are never touched");
        foreach (string name in foreign)
            Assert.That(CheckpointSetup.Snapshot(folder)[name], Is.EqualTo(before[name]));
        foreach (string name in own)
            Assert.That(errors.ToString(), Does.Contain($"removed {name} from {folder}"));
    }

    [Test]
    public void ResumingInACopyOfTheFolderLeavesTheOriginalByteForByteAndKeepsN()
    {
        string original = StoppedRun();
        var before = CheckpointSetup.Snapshot(original);
        string branch = Path.Combine(Folder(), "branch");
        CopyFolder(original, branch);

        var resumed = Resume(branch);
        Assert.That(resumed.State.Timestamp.Batch, Is.EqualTo(10), "resumed from the copy's latest checkpoint");
        resumed.Fit();

        Assert.That(CheckpointSetup.Snapshot(original), Is.EqualTo(before), "the original folder");
        Assert.That(CheckpointSetup.Snapshot(branch).Keys, Is.EqualTo(Expected(3, 15)), "the copy keeps exactly 3");
        Assert.That(new FileInfo(Path.Combine(branch, "latest.ckpt")).LinkTarget, Is.EqualTo("ep3-ba15.ckpt"));
    }

    [Test]
    public void ResumingInAMovedFolderRotatesThere()
    {
        string original = StoppedRun();
        string moved = Path.Combine(Folder(), "moved");
        Directory.Move(original, moved);

        var saver = new CheckpointSaver(moved, saveInterval: "2ba", numCheckpointsToKeep: 3);
        var resumed = new ResumableTrainer(new MixUp(alpha: 1.0), new Ema("3ba"), saver, new Interruption(), CheckpointSetup.Options(autoresume: true));
        Assert.That(saver.SavedCheckpoints, Is.EqualTo(new[] { "ep1-ba6.ckpt", "ep1-ba8.ckpt", "ep1-ba10.ckpt" }), "the checkpoints that are in the moved folder");
        resumed.Fit();

        Assert.That(Directory.Exists(original), Is.False, "nothing is written where the folder was");
        Assert.That(CheckpointSetup.Snapshot(moved).Keys, Is.EqualTo(Expected(3, 15)));
        Assert.That(saver.SavedCheckpoints, Is.EqualTo(new[] { "ep2-ba12.ckpt", "ep2-ba14.ckpt", "ep3-ba15.ckpt" }));
    }

    [Test]
    public void ACheckpointLoadedFromAnotherFolderNeverCausesADeletionThere()
    {
        string original = StoppedRun(keep: 2);
        var before = CheckpointSetup.Snapshot(original);
        string other = Folder();

        // An older checkpoint than the latest, too: its saved list names files that the other folder lacks.
        foreach (string name in new[] { "latest.ckpt", "ep1-ba8.ckpt" })
        {
            string folder = Path.Combine(other, Path.GetFileNameWithoutExtension(name));
            var options = CheckpointSetup.Options(loadPath: Path.Combine(original, name));
            var run = CheckpointSetup.Trainer(options, folder, saveInterval: "2ba", keep: 2);
            run.Fit();
            Assert.That(CheckpointSetup.Snapshot(folder).Keys, Is.EqualTo(Expected(2, 15)), $"loaded from {name}: exactly 2 of its own");
        }
        Assert.That(CheckpointSetup.Snapshot(original), Is.EqualTo(before), "the folder the checkpoints were loaded from");
    }

    [Test]
    public void RotationDeletesOnlyFilesInItsFolderThatMatchItsFileNamePattern()
    {
        string outside = Folder();
        string victim = Path.Combine(outside, "ep9-ba99.ckpt");
        File.WriteAllText(victim, "another run's checkpoint");
        string folder = Folder();
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "the user's notes");
        File.WriteAllText(Path.Combine(folder, "ep0-ba0.ckpt"), "an earlier checkpoint of this run");

        // What a damaged, hand-edited or older checkpoint could hold: paths outside the folder, a file that does
        // not match the pattern, and an absolute path from before the fix whose file is in this folder.
        var saver = new CheckpointSaver(folder, saveInterval: "1ba", numCheckpointsToKeep: 1, overwrite: true);
        var saved = new StateDict(typeof(CheckpointSaver).FullName!);
        saved.Set("saved", [victim, "../" + Path.GetFileName(outside) + "/ep9-ba99.ckpt", "notes.txt", "/elsewhere/ep0-ba0.ckpt"]);
        saved.Set("lastSavedBatch", 1);
        saved.Set("intervalCount", 1);
        saver.LoadState(saved);

        new ResumableTrainer(new MixUp(), new Ema("3ba"), saver, new Interruption(), CheckpointSetup.Options(maxDuration: "2ba")).Fit();

        Assert.That(File.ReadAllText(victim), Is.EqualTo("another run's checkpoint"), "outside the folder");
        Assert.That(CheckpointSetup.Snapshot(folder).Keys, Is.EqualTo(new[] { "ep0-ba2.ckpt", "latest.ckpt", "notes.txt" }),
            "the old checkpoint rotated out by its file name; the notes kept");
    }

    /// <summary>As <c>cp -r</c> does: files copied, symbolic links copied as links.</summary>
    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string path in Directory.EnumerateFiles(from))
        {
            var info = new FileInfo(path);
            string target = Path.Combine(to, info.Name);
            if (info.LinkTarget is { } link) File.CreateSymbolicLink(target, link);
            else File.Copy(path, target);
        }
    }
}
