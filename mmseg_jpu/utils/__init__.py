# Copyright (c) mmseg_jpu contributors. All rights reserved.
