using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Composer.Generators.CodeFixes;

/// <summary>
/// The mechanical fixes of the trainer's diagnostics: add <c>partial</c> (CMP0005), give an <c>[OnEvent]</c> method the
/// <c>void (State)</c> or <c>void (State, Logger)</c> signature (CMP0001), make it an instance (CMP0002), non-generic
/// (CMP0003) and public (CMP0004) method, remove the trainer's base class (CMP0007), remove a listed type that is
/// listed twice (CMP0008) or has no <c>[OnEvent]</c> method (CMP0010), make a class with [Checkpointed] fields partial
/// (CMP0018), mark a field a handler accumulates into [Checkpointed], its class partial (CMP0019), and take a tensor kept
/// in a field out of the batch's dispose scope (CMP0020).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TrainerCodeFixes)), Shared]
public sealed class TrainerCodeFixes : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create("CMP0001", "CMP0002", "CMP0003", "CMP0004", "CMP0005", "CMP0007", "CMP0008", "CMP0010", "CMP0018", "CMP0019", "CMP0020");

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan);
            (string Title, Func<SyntaxNode, SyntaxNode>? Rewrite) fix = diagnostic.Id switch
            {
                "CMP0005" => ("Make the trainer partial", Class(node, AddPartial)),
                "CMP0007" => ("Remove the base class", Class(node, RemoveBaseClass)),
                "CMP0001" => ("Take (State) and return void", Method(node, FixSignature)),
                "CMP0002" => ("Make the method an instance method", Method(node, m => m.WithModifiers(Without(m.Modifiers, SyntaxKind.StaticKeyword)))),
                "CMP0003" => ("Remove the type parameters", Method(node, m => m.WithTypeParameterList(null).WithConstraintClauses(default))),
                "CMP0004" => ("Make the method public", Method(node, MakePublic)),
                "CMP0008" or "CMP0010" => ("Remove it from the trainer's list", Argument(node)),
                "CMP0018" => ("Make the class partial", Class(node, AddPartial)),
                "CMP0020" => ("Detach it from the dispose scope", Detach(node)),
                _ => ("", null),
            };
            if (diagnostic.Id == "CMP0019")
            {
                SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
                if (model?.GetSymbolInfo(node, context.CancellationToken).Symbol is IFieldSymbol field
                    && field.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(context.CancellationToken) is VariableDeclaratorSyntax declarator
                    && declarator.SyntaxTree == root.SyntaxTree
                    && declarator.FirstAncestorOrSelf<FieldDeclarationSyntax>() is { } declaration)
                {
                    fix = ("Keep the field in checkpoints ([Checkpointed])", r => MarkCheckpointed(r, declaration));
                }
            }
            if (fix.Rewrite is not { } rewrite) continue;
            context.RegisterCodeFix(
                CodeAction.Create(fix.Title, _ => Task.FromResult(context.Document.WithSyntaxRoot(rewrite(root))), equivalenceKey: diagnostic.Id),
                diagnostic);
        }
    }

    private static Func<SyntaxNode, SyntaxNode>? Class(SyntaxNode node, Func<ClassDeclarationSyntax, ClassDeclarationSyntax> change) =>
        node.FirstAncestorOrSelf<ClassDeclarationSyntax>() is { } declaration ? root => root.ReplaceNode(declaration, change(declaration)) : null;

    private static Func<SyntaxNode, SyntaxNode>? Method(SyntaxNode node, Func<MethodDeclarationSyntax, MethodDeclarationSyntax> change) =>
        node.FirstAncestorOrSelf<MethodDeclarationSyntax>() is { } method ? root => root.ReplaceNode(method, change(method)) : null;

    // The typeof(...) argument of [Trainer(...)], with its comma.
    private static Func<SyntaxNode, SyntaxNode>? Argument(SyntaxNode node) =>
        node.FirstAncestorOrSelf<AttributeArgumentSyntax>() is { } argument
            ? root => root.RemoveNode(argument, SyntaxRemoveOptions.KeepNoTrivia)!
            : null;

    // [Checkpointed] on the field, and partial on its class, so the generator can write the class's IStateful.
    private static SyntaxNode MarkCheckpointed(SyntaxNode root, FieldDeclarationSyntax field)
    {
        ClassDeclarationSyntax type = field.FirstAncestorOrSelf<ClassDeclarationSyntax>()!;
        // Parsed rather than built, so no elastic trivia lets the formatter move the attribute onto a line of its own.
        var marked = (FieldDeclarationSyntax)SyntaxFactory.ParseMemberDeclaration("[Checkpointed] " + field.WithoutLeadingTrivia().ToFullString())!;
        ClassDeclarationSyntax updated = type.ReplaceNode(field, marked.WithLeadingTrivia(field.GetLeadingTrivia()));
        return root.ReplaceNode(type, AddPartial(updated));
    }

    // value -> value.DetachFromDisposeScope(), in parentheses unless the value already binds tighter than a member access.
    private static Func<SyntaxNode, SyntaxNode>? Detach(SyntaxNode node)
    {
        if (node is not ExpressionSyntax value) return null;
        ExpressionSyntax receiver = value is InvocationExpressionSyntax or MemberAccessExpressionSyntax or IdentifierNameSyntax
            or ElementAccessExpressionSyntax or ParenthesizedExpressionSyntax
            ? value.WithoutTrivia()
            : SyntaxFactory.ParenthesizedExpression(value.WithoutTrivia());
        ExpressionSyntax detached = SyntaxFactory.InvocationExpression(SyntaxFactory.MemberAccessExpression(
                SyntaxKind.SimpleMemberAccessExpression, receiver, SyntaxFactory.IdentifierName("DetachFromDisposeScope")))
            .WithTriviaFrom(value);
        return root => root.ReplaceNode(value, detached);
    }

    private static ClassDeclarationSyntax AddPartial(ClassDeclarationSyntax declaration)
    {
        if (declaration.Modifiers.Any(SyntaxKind.PartialKeyword)) return declaration;
        // partial comes last among the modifiers, right before "class", keeping the declaration's leading trivia.
        SyntaxToken partial = SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space);
        if (declaration.Modifiers.Count == 0)
        {
            SyntaxToken keyword = declaration.Keyword;
            return declaration
                .WithKeyword(keyword.WithLeadingTrivia())
                .WithModifiers(SyntaxFactory.TokenList(partial.WithLeadingTrivia(keyword.LeadingTrivia)));
        }
        return declaration.WithModifiers(declaration.Modifiers.Add(partial));
    }

    private static ClassDeclarationSyntax RemoveBaseClass(ClassDeclarationSyntax declaration)
    {
        if (declaration.BaseList is not { } bases || bases.Types.Count == 0) return declaration;
        // The base class is listed first; interfaces after it stay.
        SeparatedSyntaxList<BaseTypeSyntax> rest = bases.Types.RemoveAt(0);
        if (rest.Count > 0) return declaration.WithBaseList(bases.WithTypes(rest));
        SyntaxTriviaList trailing = bases.GetTrailingTrivia();
        ClassDeclarationSyntax without = declaration.WithBaseList(null);
        // "class T : Base;" or "class T : Base { }": what followed the base list now follows the name.
        return without.WithIdentifier(without.Identifier.WithTrailingTrivia(trailing));
    }

    private static MethodDeclarationSyntax FixSignature(MethodDeclarationSyntax method)
    {
        bool takesLogger = method.ParameterList.Parameters.Any(p => p.Type?.ToString() is "Logger" or "Composer.Loggers.Logger" or "global::Composer.Loggers.Logger");
        ParameterSyntax Parameter(string type, string name) =>
            SyntaxFactory.Parameter(SyntaxFactory.Identifier(name)).WithType(SyntaxFactory.ParseTypeName(type).WithTrailingTrivia(SyntaxFactory.Space));
        var parameters = SyntaxFactory.SeparatedList(takesLogger
            ? new[] { Parameter("State", "state"), Parameter("Logger", "logger") }
            : new[] { Parameter("State", "state") });
        MethodDeclarationSyntax fixedMethod = method
            .WithReturnType(SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.VoidKeyword)).WithTriviaFrom(method.ReturnType))
            .WithParameterList(method.ParameterList.WithParameters(parameters));
        // An expression body returning a value is kept as a statement (CS0201 aside, the value is dropped).
        return fixedMethod;
    }

    private static MethodDeclarationSyntax MakePublic(MethodDeclarationSyntax method)
    {
        SyntaxTokenList modifiers = method.Modifiers;
        SyntaxToken? first = modifiers.Count > 0 ? modifiers[0] : null;
        SyntaxTokenList kept = SyntaxFactory.TokenList(modifiers.Where(m =>
            !m.IsKind(SyntaxKind.PrivateKeyword) && !m.IsKind(SyntaxKind.ProtectedKeyword) && !m.IsKind(SyntaxKind.InternalKeyword)
            && !m.IsKind(SyntaxKind.PublicKeyword)));
        SyntaxToken @public = SyntaxFactory.Token(SyntaxKind.PublicKeyword).WithTrailingTrivia(SyntaxFactory.Space);
        if (first is { } token) @public = @public.WithLeadingTrivia(token.LeadingTrivia);
        else
        {
            @public = @public.WithLeadingTrivia(method.ReturnType.GetLeadingTrivia());
            method = method.WithReturnType(method.ReturnType.WithLeadingTrivia());
        }
        return method.WithModifiers(kept.Insert(0, @public));
    }

    private static SyntaxTokenList Without(SyntaxTokenList modifiers, SyntaxKind kind) =>
        SyntaxFactory.TokenList(modifiers.Where(m => !m.IsKind(kind)));
}
