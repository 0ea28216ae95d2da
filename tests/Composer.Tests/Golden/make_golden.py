#!/usr/bin/env python3
"""Writes composer-golden.json: Composer's own functions run on fixed inputs, for ComposerGoldenTests.

Development time only (CI reads the committed JSON). Composer's code is imported from a fetched tree, never copied:

    /usr/bin/python3 tests/Composer.Tests/Golden/make_golden.py <composer tree> tests/Composer.Tests/Golden/composer-golden.json [commit]

Needs Debian's python3-torch (1.13) and numpy. Composer's package __init__ files import its whole stack (torch 2
distributed APIs, torchmetrics, transformers), so this loads only the modules it calls, by path, with small stand-ins
for the package modules they import names from (Algorithm, Event, Logger, ...) that the called functions never use.
"""
import importlib.util
import json
import subprocess
import sys
import types
import warnings

import numpy as np
import torch

ROOT, OUT = sys.argv[1], sys.argv[2]
# The commit the tree was taken at: given, or read from a git checkout.
COMMIT = sys.argv[3] if len(sys.argv) > 3 else subprocess.run(['git', '-C', ROOT, 'rev-parse', 'HEAD'], capture_output=True, text=True).stdout.strip()
warnings.simplefilter('ignore')
# torch 1.13 names the scheduler base class _LRScheduler; Composer imports the 2.x name.
torch.optim.lr_scheduler.LRScheduler = torch.optim.lr_scheduler._LRScheduler


class _Names(types.ModuleType):
    """A stand-in module: any name it is asked for is an empty class."""

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        value = type(name, (), {'__init__': lambda self, *a, **k: None})
        setattr(self, name, value)
        return value


def stub(name, **names):
    module = _Names(name)
    module.__path__ = []
    module.__dict__.update(names)
    sys.modules[name] = module
    parent, _, child = name.rpartition('.')
    if parent in sys.modules:
        setattr(sys.modules[parent], child, module)
    return module


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, f'{ROOT}/composer/{path}')
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def ensure_tuple(x):
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


for package in ['composer', 'composer.algorithms', 'composer.algorithms.utils', 'composer.algorithms.utils.augmentation_common',
                'composer.callbacks', 'composer.callbacks.checkpoint_saver',
                'composer.models', 'composer.loggers', 'torchvision', 'torchvision.transforms',
                'torch.distributed.fsdp', 'transformers']:
    stub(package)
sys.modules['torchvision.transforms.functional'] = stub(
    'torchvision.transforms.functional', crop=lambda img, top, left, height, width: img[..., top:top + height, left:left + width])
sys.modules['torchvision'].transforms = sys.modules['torchvision.transforms']
sys.modules['torchvision.transforms'].functional = sys.modules['torchvision.transforms.functional']
stub('composer.core.serializable', Serializable=object)
stub('composer.utils', StringEnum=load('composer.utils.string_enum', 'utils/string_enum.py').StringEnum,
     ensure_tuple=ensure_tuple, dist=None)
stub('composer.utils.misc', is_model_fsdp=lambda model: False)
time = load('composer.core.time', 'core/time.py')
class _EventNames(type):
    def __getattr__(cls, name):
        return name


stub('composer.core', Event=_EventNames('Event', (), {}), Time=time.Time, TimeUnit=time.TimeUnit, Timestamp=time.Timestamp, get_precision_context=None)
sched = load('composer.optim.scheduler', 'optim/scheduler.py')
loss_utils = load('composer.loss.utils', 'loss/utils.py')
loss = load('composer.loss.loss', 'loss/loss.py')
label_smoothing = load('composer.algorithms.label_smoothing', 'algorithms/label_smoothing/label_smoothing.py')
resizing = load('composer.algorithms.progressive_resizing', 'algorithms/progressive_resizing/progressive_resizing.py')
clipping = load('composer.algorithms.gradient_clipping', 'algorithms/gradient_clipping/gradient_clipping.py')
seq = load('composer.algorithms.seq_length_warmup', 'algorithms/seq_length_warmup/seq_length_warmup.py')
freezing = load('composer.algorithms.layer_freezing', 'algorithms/layer_freezing/layer_freezing.py')
mixup = load('composer.algorithms.mixup', 'algorithms/mixup/mixup.py')
cutmix = load('composer.algorithms.cutmix', 'algorithms/cutmix/cutmix.py')
cutout = load('composer.algorithms.cutout', 'algorithms/cutout/cutout.py')
ema = load('composer.algorithms.ema', 'algorithms/ema/ema.py')
blur = load('composer.algorithms.blurpool.blurpool_layers', 'algorithms/blurpool/blurpool_layers.py')
standardization = load('composer.algorithms.weight_standardization', 'algorithms/weight_standardization/weight_standardization.py')
selective = load('composer.algorithms.selective_backprop', 'algorithms/selective_backprop/selective_backprop.py')
alibi = load('composer.algorithms.alibi.utils', 'algorithms/alibi/attention_surgery_functions/utils.py')
decoupled = load('composer.optim.decoupled_weight_decay', 'optim/decoupled_weight_decay.py')
ghost = load('composer.algorithms.ghost_batchnorm', 'algorithms/ghost_batchnorm/ghost_batchnorm.py')
squeeze = load('composer.algorithms.squeeze_excite', 'algorithms/squeeze_excite/squeeze_excite.py')


def t(x):
    x = torch.as_tensor(x)
    return {'shape': list(x.shape), 'dtype': str(x.dtype).replace('torch.', ''), 'data': x.detach().reshape(-1).tolist()}


def fixed(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g)


cases = []


def case(kind, name, inputs, expected):
    cases.append({'kind': kind, 'name': name, 'inputs': inputs, 'expected': expected})


# ---------------------------------------------------------------- schedulers
class FakeState:
    def __init__(self, batch, max_duration, dataloader_len, samples=None, tokens=None):
        self.timestamp = time.Timestamp(batch=batch, epoch=batch // dataloader_len if dataloader_len else 0,
                                        sample=samples if samples is not None else batch * 4,
                                        token=tokens if tokens is not None else batch * 32)
        self.max_duration = time.Time.from_timestring(max_duration)
        self.dataloader_len = dataloader_len


schedulers = [
    ('StepScheduler', dict(step_size='3ba', gamma=0.5)),
    ('StepScheduler', dict(step_size='1ep', gamma=0.1)),
    ('MultiStepScheduler', dict(milestones=['4ba', '2ep'], gamma=0.2)),
    ('ConstantScheduler', dict(alpha=0.3, t_max='0.5dur')),
    ('ConstantScheduler', dict(alpha=0.7, t_max='7ba')),
    ('LinearScheduler', dict(alpha_i=1.0, alpha_f=0.1, t_max='1dur')),
    ('LinearScheduler', dict(alpha_i=0.2, alpha_f=1.0, t_max='5ba')),
    ('ExponentialScheduler', dict(gamma=0.9, decay_period='2ba')),
    ('CosineAnnealingScheduler', dict(t_max='1dur', alpha_f=0.05)),
    ('CosineAnnealingScheduler', dict(t_max='9ba', alpha_f=0.0)),
    ('CosineAnnealingWarmRestartsScheduler', dict(t_0='4ba', t_mult=2.0, alpha_f=0.1)),
    ('CosineAnnealingWarmRestartsScheduler', dict(t_0='1ep', t_mult=1.0, alpha_f=0.0)),
    ('PolynomialScheduler', dict(power=2.0, t_max='1dur', alpha_f=0.1)),
    ('PolynomialScheduler', dict(power=0.5, t_max='10ba', alpha_f=0.0)),
    ('MultiStepWithWarmupScheduler', dict(t_warmup='3ba', milestones=['6ba', '9ba'], gamma=0.5)),
    ('MultiStepWithWarmupScheduler', dict(t_warmup='0.25dur', milestones=['1ep'], gamma=0.1, scale_warmup=True)),
    ('ConstantWithWarmupScheduler', dict(t_warmup='3ba', alpha=0.5)),
    ('ConstantWithWarmupScheduler', dict(t_warmup='2ba', alpha=0.8, t_max='20ba')),
    ('ConstantWithWarmupScheduler', dict(t_warmup='2ba', alpha=0.8, t_max='6ba')),
    ('LinearWithWarmupScheduler', dict(t_warmup='3ba', alpha_i=1.0, alpha_f=0.0)),
    ('LinearWithWarmupScheduler', dict(t_warmup='0.1dur', alpha_i=0.9, alpha_f=0.2, t_max='1dur', scale_warmup=True)),
    ('LinearWithWarmupScheduler', dict(t_warmup='8sp', alpha_i=1.0, alpha_f=0.0)),
    ('LinearWithWarmupScheduler', dict(t_warmup='2ba', t_max='16sp')),
    ('CosineAnnealingWithWarmupScheduler', dict(t_warmup='2ba', t_max='1dur', alpha_f=0.1)),
    ('CosineAnnealingWithWarmupScheduler', dict(t_warmup='1ep', t_max='30ba', alpha_f=0.0)),
    ('PolynomialWithWarmupScheduler', dict(t_warmup='3ba', power=2.0, t_max='1dur', alpha_f=0.0)),
    ('PolynomialWithWarmupScheduler', dict(t_warmup='4ba', power=1.5, t_max='5ba')),
]
for runs in [('3ep', 4), ('12ba', 4), ('5ep', 3)]:
    for ssr in [1.0, 0.5]:
        max_duration, per_epoch = runs
        scaled = time.Time(value=int(time.Time.from_timestring(max_duration).value * ssr), unit=time.Time.from_timestring(max_duration).unit)
        total = scaled.value * per_epoch if scaled.unit == time.TimeUnit.EPOCH else scaled.value
        for name, kwargs in schedulers:
            values = []
            for batch in range(total + 1):
                try:
                    values.append(float(getattr(sched, name)(**kwargs)(FakeState(batch, f'{scaled.value}{scaled.unit.value}', per_epoch), ssr)))
                except ValueError:
                    values.append('ValueError')
            case('scheduler', name, {'kwargs': kwargs, 'maxDuration': f'{scaled.value}{scaled.unit.value}',
                                     'dataloaderLength': per_epoch, 'ssr': ssr, 'samplesPerBatch': 4, 'tokensPerBatch': 32},
                 values)

# ---------------------------------------------------------------- losses and label smoothing
logits = fixed(4, 3, seed=1)
indices = torch.tensor([0, 2, 1, 2])
soft = torch.softmax(fixed(4, 3, seed=2), 1)
partial = soft * torch.tensor([[1.0], [0.5], [0.0], [1.0]])
dense = fixed(2, 3, 2, 3, seed=3)
dense_idx = torch.tensor([[[0, 1, 2], [2, 1, 0]], [[1, 1, 0], [2, -100, 0]]])
weight = torch.tensor([0.2, 1.0, 3.0])
case('one_hot', 'dense', {'input': t(dense), 'target': t(dense_idx)}, t(loss_utils.ensure_targets_one_hot(dense, dense_idx)))
case('one_hot', 'indices', {'input': t(logits), 'target': t(indices)}, t(loss_utils.ensure_targets_one_hot(logits, indices)))
for name, target in [('indices', indices), ('probabilities', soft), ('partial', partial), ('dense', dense_idx)]:
    x = dense if name == 'dense' else logits
    for reduction in ['mean', 'sum', 'none']:
        for w in [None, weight]:
            inputs = {'input': t(x), 'target': t(target), 'reduction': reduction, 'weight': None if w is None else t(w)}
            case('soft_cross_entropy', f'{name}-{reduction}-{"w" if w is not None else "nw"}', inputs,
                 t(loss.soft_cross_entropy(x, target, weight=w, reduction=reduction)))
case('soft_cross_entropy', 'ignore-index', {'input': t(logits), 'target': t(torch.tensor([0, -1, 1, 2])), 'reduction': 'mean', 'weight': None,
                                            'ignoreIndex': -1},
     t(loss.soft_cross_entropy(logits, torch.tensor([0, -1, 1, 2]), ignore_index=-1)))
for name, target in [('indices', indices), ('probabilities', soft)]:
    for reduction, scale in [('sum', True), ('mean', False), ('none', True)]:
        case('bce_with_logits', f'{name}-{reduction}-{scale}', {'input': t(logits), 'target': t(target), 'reduction': reduction, 'scale': scale},
             t(loss.binary_cross_entropy_with_logits(logits, target, reduction=reduction, scale_by_batch_size=scale)))
for options in [dict(), dict(softmax=True), dict(sigmoid=True, squared_pred=True), dict(softmax=True, jaccard=True),
                dict(softmax=True, batch=True), dict(softmax=True, ignore_absent_classes=True), dict(softmax=True, reduction='sum'),
                dict(sigmoid=True, reduction='none')]:
    target = torch.tensor([[[0, 1, 1], [0, 1, 1]], [[1, 1, 0], [1, 1, 0]]])
    case('dice_loss', json.dumps(options, sort_keys=True), {'input': t(dense), 'target': t(target), 'options': options},
         t(loss.DiceLoss(**options)(dense, target)))
for smoothing in [0.0, 0.1, 0.5, 1.0]:
    for name, x, target in [('indices', logits, indices), ('probabilities', logits, soft), ('dense', dense, dense_idx.clamp(min=0))]:
        case('smooth_labels', f'{name}-{smoothing}', {'logits': t(x), 'target': t(target), 'smoothing': smoothing},
             t(label_smoothing.smooth_labels(x, target, smoothing)))

# ---------------------------------------------------------------- progressive resizing
images = fixed(2, 3, 7, 9, seed=4)
masks = torch.randint(0, 4, (2, 7, 9), generator=torch.Generator().manual_seed(5))
for scale in [0.5, 0.6, 0.33, 1.0]:
    x, y = resizing.resize_batch(images, masks, scale, 'resize', resize_targets=True)
    case('resize_batch', f'resize-{scale}', {'input': t(images), 'target': t(masks), 'scale': scale, 'mode': 'resize'},
         {'input': t(x), 'target': t(y)})
    torch.manual_seed(11)
    x, y = resizing.resize_batch(images, masks, scale, 'crop', resize_targets=True)
    case('resize_batch', f'crop-{scale}', {'input': t(images), 'target': t(masks), 'scale': scale, 'mode': 'crop', 'seed': 11},
         {'input': t(x), 'target': t(y)})
for elapsed in [0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.95]:
    captured = {}

    class ResizeState:
        batch = {'x': images, 'y': masks}
        def batch_get_item(self, key): return self.batch[key]
        def batch_set_item(self, key, value): captured[key] = value
        def get_elapsed_duration(self): return time.Time(elapsed, time.TimeUnit.DURATION)

    class Recorder:
        def log_metrics(self, metrics): captured.update(metrics)

    resizing.ProgressiveResizing(mode='resize', initial_scale=0.5, delay_fraction=0.4, finetune_fraction=0.2, size_increment=4,
                                 input_key='x', target_key='y').apply('AFTER_DATALOADER', ResizeState(), Recorder())
    case('progressive_resizing_scale', f'{elapsed}', {'elapsed': elapsed, 'width': 9, 'initialScale': 0.5, 'delay': 0.4, 'finetune': 0.2,
                                                      'increment': 4}, {'width': captured['progressive_resizing/width']})

# ---------------------------------------------------------------- gradient clipping
for kind, threshold in [('adaptive', 0.01), ('adaptive', 0.5), ('norm', 0.3), ('value', 0.05)]:
    layer = torch.nn.Linear(3, 2)
    with torch.no_grad():
        layer.weight.copy_(fixed(2, 3, seed=6))
        layer.bias.zero_()
    layer.weight.grad = fixed(2, 3, seed=7)
    layer.bias.grad = fixed(2, seed=8)
    inputs = {'weight': t(layer.weight), 'bias': t(layer.bias), 'weightGrad': t(layer.weight.grad), 'biasGrad': t(layer.bias.grad),
              'type': kind, 'threshold': threshold}
    clipping.apply_gradient_clipping(layer, kind, threshold, fsdp_enabled=False)
    case('gradient_clipping', f'{kind}-{threshold}', inputs, {'weightGrad': t(layer.weight.grad), 'biasGrad': t(layer.bias.grad)})

# ---------------------------------------------------------------- sequence length warmup
ids = torch.arange(20).view(2, 10)
mask = torch.tensor([[1] * 10, [1] * 6 + [0] * 4])
for length, truncate, preserve in [(4, True, False), (4, True, True), (3, True, True), (4, False, False), (3, False, False), (12, True, False)]:
    batch = {'input_ids': ids.clone(), 'attention_mask': mask.clone(), 'labels': ids.clone() + 100}
    out = seq.set_batch_sequence_length(batch, length, truncate, preserve)
    case('set_batch_sequence_length', f'{length}-{truncate}-{preserve}',
         {'input_ids': t(ids), 'attention_mask': t(mask), 'labels': t(ids + 100), 'length': length, 'truncate': truncate, 'preserve': preserve},
         {k: t(v) for k, v in out.items()})
for max_duration, per_epoch, kwargs in [('10ep', 100, dict(duration=0.3, min_seq_length=8, max_seq_length=1024, step_size=8)),
                                        ('10ep', 30, dict(duration=0.3, min_seq_length=8, max_seq_length=1024, step_size=8)),
                                        ('100ba', 10, dict(duration=0.5, min_seq_length=4, max_seq_length=64, step_size=4)),
                                        ('3ep', 7, dict(duration=1.0, min_seq_length=8, max_seq_length=32, step_size=8))]:
    lengths = []
    warmup = seq.SeqLengthWarmup(**kwargs)
    warmup._activated = True
    total = int(max_duration[:-2]) * (per_epoch if max_duration.endswith('ep') else 1)
    for b in range(total):
        class SeqState:
            pass
        s = SeqState()
        s.dataloader, s.max_duration, s.dataloader_len = object(), time.Time.from_timestring(max_duration), per_epoch
        s.timestamp = time.Timestamp(batch=b)
        s.batch = {'input_ids': torch.zeros(1, 2048, dtype=torch.long)}
        logged = {}

        class L:
            def log_metrics(self, m): logged.update(m)

        try:
            warmup.apply('AFTER_DATALOADER', s, L())
        except ZeroDivisionError:
            # Fewer warmup batches than length steps: Composer divides by zero.
            lengths = 'ZeroDivisionError'
            break
        lengths.append(logged['seq_length_warmup/curr_seq_len'])
    case('seq_length_warmup_schedule', f'{max_duration}-{per_epoch}', {'maxDuration': max_duration, 'dataloaderLength': per_epoch, 'kwargs': kwargs},
         lengths)

# ---------------------------------------------------------------- layer freezing
for elapsed, start, level in [(0.4, 0.5, 1.0), (0.75, 0.5, 1.0), (1.0, 0.5, 1.0), (0.9, 0.0, 0.5), (1.0, 0.2, 1.0)]:
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Dropout()),
                                torch.nn.Linear(3, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    depth, share = freezing.freeze_layers(model, optimizer, elapsed, start, level)
    case('freeze_layers', f'{elapsed}-{start}-{level}', {'elapsed': elapsed, 'start': start, 'level': level},
         {'depth': depth, 'share': share, 'trainable': [n for n, p in model.named_parameters() if p.requires_grad],
          'inOptimizer': sum(len(g['params']) for g in optimizer.param_groups)})

# ---------------------------------------------------------------- mixing methods
x = fixed(4, 2, 3, 3, seed=9)
y = torch.tensor([0, 1, 2, 1])
perm = torch.tensor([2, 0, 3, 1])
for mixing in [0.0, 0.3, 0.5]:
    mixed, permuted, m = mixup.mixup_batch(x, y, mixing=mixing, indices=perm)
    case('mixup_batch', f'{mixing}', {'input': t(x), 'target': t(y), 'mixing': mixing, 'indices': t(perm)},
         {'input': t(mixed), 'target': t(permuted), 'mixing': m})
for box in [(0, 0, 2, 2), (1, 0, 3, 3), (1, 1, 2, 3)]:
    mixed, permuted, lam, _ = cutmix.cutmix_batch(x, y, bbox=box, indices=perm)
    case('cutmix_batch', f'{box}', {'input': t(x), 'target': t(y), 'box': list(box), 'indices': t(perm)},
         {'input': t(mixed), 'target': t(permuted), 'lambda': lam})
for height, width, lam, cy, cx in [(32, 32, 0.75, 16, 16), (32, 24, 0.5, 2, 20), (10, 10, 0.1, 9, 0), (8, 12, 0.99, 4, 6)]:
    # _rand_bbox's first size and centre are along dimension 2 (rows), though it names them W and cx.
    box = cutmix._rand_bbox(height, width, lam, cx=cy, cy=cx)
    case('rand_bbox', f'{height}x{width}-{lam}', {'height': height, 'width': width, 'lambda': lam, 'centerRow': cy, 'centerColumn': cx},
         [int(v) for v in box])
for side, ys, xs in [(4, [[2], [9]], [[3], [0]]), (3, [[0, 5]], [[7, 7]]), (5, [[6]], [[6]])]:
    image = fixed(len(ys), 1, 8, 8, seed=10)
    masks_ = []
    for i in range(len(ys)):
        m = torch.ones(8, 8)
        for y0, x0 in zip(ys[i], xs[i]):
            m = cutout._generate_mask(m, 8, 8, x0, y0, side)
        masks_.append(m)
    case('cutout_mask', f'{side}-{ys}-{xs}', {'input': t(image), 'side': side, 'centreY': ys, 'centreX': xs},
         t(image * torch.stack(masks_).unsqueeze(1)))

# ---------------------------------------------------------------- EMA, blur, weight standardization, ALiBi, selective backprop
model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
ema_model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
with torch.no_grad():
    for i, (p, q) in enumerate(zip(model.parameters(), ema_model.parameters())):
        p.copy_(fixed(*p.shape, seed=20 + i))
        q.copy_(fixed(*q.shape, seed=30 + i))
    model[1].running_mean.copy_(torch.tensor([0.5, -1.0]))
    model[1].num_batches_tracked.fill_(7)
before = {k: t(v) for k, v in ema_model.state_dict().items()}
weights = {k: t(v) for k, v in model.state_dict().items()}
ema.compute_ema(model, ema_model, smoothing=0.9)
case('compute_ema', '0.9', {'model': weights, 'ema': before, 'smoothing': 0.9}, {k: t(v) for k, v in ema_model.state_dict().items()})
for half_life, interval in [('1000ba', '1ba'), ('10ba', '5ba'), ('3ep', '1ep')]:
    case('ema_smoothing', half_life, {'halfLife': half_life, 'updateInterval': interval}, ema.EMA(half_life=half_life, update_interval=interval).smoothing)
image = fixed(1, 2, 5, 6, seed=12)
for stride in [1, 2]:
    case('blur_2d', f'{stride}', {'input': t(image), 'stride': stride}, t(blur.blur_2d(image, stride=stride)))
w = fixed(3, 2, 3, 3, seed=13)
case('standardize_weights', 'conv', {'weight': t(w)}, t(standardization._standardize_weights(w)))
for heads in [4, 6, 12]:
    case('alibi_slopes', f'{heads}', {'heads': heads}, [float(v) for v in alibi._get_alibi_head_slopes(heads)])
for elapsed, batch in [(0.4, 1), (0.5, 2), (0.5, 3), (0.7, 4), (0.89, 5), (0.9, 2)]:
    case('should_selective_backprop', f'{elapsed}-{batch}', {'elapsed': elapsed, 'batch': batch, 'start': 0.5, 'end': 0.9, 'interrupt': 2},
         bool(selective.should_selective_backprop(elapsed, batch, 0.5, 0.9, 2)))

# ---------------------------------------------------------------- BlurPool's layers and ghost batch norm (no random weights)
image = fixed(2, 3, 9, 8, seed=14)
for kernel, stride, padding in [(2, 2, 0), (3, 2, 1), (3, 1, 1)]:
    pool = torch.nn.MaxPool2d(kernel, stride, padding)
    case('blur_max_pool', f'{kernel}-{stride}-{padding}', {'input': t(image), 'kernel': kernel, 'stride': stride, 'padding': padding},
         t(blur.BlurMaxPool2d.from_maxpool2d(pool, 0)(image)))
for stride, blur_first in [(2, True), (2, False), (1, True)]:
    conv = torch.nn.Conv2d(3, 4, 3, stride=stride, padding=1)
    with torch.no_grad():
        conv.weight.copy_(fixed(4, 3, 3, 3, seed=15))
        conv.bias.copy_(fixed(4, seed=16))
    case('blur_conv', f'{stride}-{blur_first}', {'input': t(image), 'weight': t(conv.weight), 'bias': t(conv.bias), 'stride': stride,
                                                 'blurFirst': blur_first},
         t(blur.BlurConv2d.from_conv2d(conv, 0, blur_first=blur_first)(image)))
batch_images = fixed(8, 3, 4, 4, seed=17) * 2 + 1
for size in [2, 3, 8]:
    norm = ghost.GhostBatchNorm2d.from_batchnorm(torch.nn.BatchNorm2d(3), ghost_batch_size=size)
    norm.train()
    out = norm(batch_images)
    case('ghost_batch_norm', f'{size}', {'input': t(batch_images), 'ghostBatchSize': size},
         {'output': t(out), 'runningMean': t(norm.batchnorm.running_mean), 'runningVar': t(norm.batchnorm.running_var)})

# Squeeze-excite's block with its two layers' weights set: the latent width rule and the forward pass.
for channels, latent in [(16, 0.25), (16, 3), (12, 0.5)]:
    block = squeeze.SqueezeExcite2d(channels, latent)
    with torch.no_grad():
        block.pool_and_mlp[2].weight.copy_(fixed(*block.pool_and_mlp[2].weight.shape, seed=18))
        block.pool_and_mlp[4].weight.copy_(fixed(*block.pool_and_mlp[4].weight.shape, seed=19))
    x = fixed(2, channels, 3, 3, seed=20)
    case('squeeze_excite', f'{channels}-{latent}', {'input': t(x), 'channels': channels, 'latent': latent,
                                                   'fc1': t(block.pool_and_mlp[2].weight), 'fc2': t(block.pool_and_mlp[4].weight)},
         t(block(x)))

# ---------------------------------------------------------------- Composer's optimizers
for name, kwargs in [('DecoupledSGDW', dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
                     ('DecoupledSGDW', dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.001, nesterov=False)),
                     ('DecoupledSGDW', dict(lr=0.05, momentum=0.8, weight_decay=0.002, nesterov=True)),
                     ('DecoupledSGDW', dict(lr=0.2)),
                     ('DecoupledAdamW', dict(lr=0.01, betas=(0.9, 0.95), eps=1e-8, weight_decay=1e-2)),
                     ('DecoupledAdamW', dict(lr=0.003, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-5, amsgrad=True))]:
    layer = torch.nn.Linear(3, 2)
    with torch.no_grad():
        layer.weight.copy_(fixed(2, 3, seed=40))
        layer.bias.copy_(fixed(2, seed=41))
    start = {'weight': t(layer.weight), 'bias': t(layer.bias)}
    optimizer = getattr(decoupled, name)(layer.parameters(), **kwargs)
    rates = [1.0, 0.5, 0.25, 0.25, 0.1]
    grads = []
    for step, rate in enumerate(rates):
        for group in optimizer.param_groups:
            group['lr'] = group['initial_lr'] * rate
        layer.weight.grad = fixed(2, 3, seed=50 + step)
        layer.bias.grad = fixed(2, seed=60 + step)
        grads.append({'weight': t(layer.weight.grad), 'bias': t(layer.bias.grad)})
        optimizer.step()
    case('optimizer', f'{name}-{json.dumps(kwargs, sort_keys=True)}', {'name': name, 'kwargs': kwargs, 'start': start, 'rates': rates, 'grads': grads},
         {'weight': t(layer.weight), 'bias': t(layer.bias)})

json.dump({'composerCommit': COMMIT, 'torch': torch.__version__, 'cases': cases}, open(OUT, 'w'), indent=None, separators=(',', ':'))
print(f'{len(cases)} cases from Composer {COMMIT} with torch {torch.__version__}')
