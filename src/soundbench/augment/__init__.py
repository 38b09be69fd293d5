"""Training-only augmentation at three levels: waveform (audiomentations, in the data
loader), spectrogram (SpecAugment) and batch (mixup), both inside the training step."""
